"""Files and folders only the owner of the tracker process may read: the SQLite database, the
secret key, the first administrator's password, uploaded files.  Each is created with its
final mode (600 files, 700 folders), so there is never a moment another local user could
open it.  Files that already exist keep the mode they have."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folder(path: Path) -> None:
    """Create ``path`` and any missing parents readable by the owner only (``mkdir -p`` would
    give the parents the default mode); an existing folder is left as it is."""
    if path.is_dir():
        return
    make_folder(path.parent)
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise


def create_file(path: Path, data: bytes = b"", *, replace: bool = False) -> None:
    """Create ``path`` with ``data``, mode 600 from the start.  An existing file is an error
    (``FileExistsError``) unless ``replace`` says to write a new one in its place."""
    make_folder(path.parent)
    if replace:
        path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
