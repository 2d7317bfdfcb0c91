"""The SQLite database, the secret key, uploads and the first password are created readable by
their owner only, whatever the umask of the process."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tracker import create_app
from tracker.services import uploads
from tracker.services.users import ensure_admin


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def open_umask() -> Iterator[None]:
    """The usual umask, under which plain creation gives 644 files and 755 folders."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_instance_folder_database_and_secret_key_are_private(tmp_path: Path, open_umask: None) -> None:
    instance = tmp_path / "new" / "instance"
    app = create_app({"instance_path": str(instance), "testing": True})
    engine = app.extensions["tracker.db"].engine
    try:
        with engine.begin() as connection:  # the first write also makes the -wal and -shm files
            connection.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO probe (id) VALUES (1)"))
        with engine.connect():
            database = instance / "tracker.db"
            assert mode(instance) == 0o700 and mode(instance.parent) == 0o700
            assert mode(database) == 0o600 and mode(instance / "secret_key") == 0o600
            for companion in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                assert companion.exists() and mode(companion) == 0o600
    finally:
        engine.dispose()


def test_uploads_are_private(tmp_path: Path, open_umask: None) -> None:
    token = uploads.save(str(tmp_path), [("台账.xlsx", b"data"), ("second.csv", b"more")])
    folder = tmp_path / "uploads" / token
    assert mode(tmp_path / "uploads") == 0o700 and mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["0.bin", "1.bin", "names.json"]
    assert all(mode(p) == 0o600 for p in folder.iterdir())
    assert uploads.load(str(tmp_path), token) == [("台账.xlsx", b"data"), ("second.csv", b"more")]


def test_the_generated_admin_password_file_is_private(session, tmp_path: Path, open_umask: None) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("DELETE FROM app_user"))
    ensured = ensure_admin(session, None, tmp_path / "instance")
    written = tmp_path / "instance" / "initial-admin.txt"
    assert ensured.password and ensured.password in written.read_text(encoding="utf-8")
    assert mode(written) == 0o600 and mode(tmp_path / "instance") == 0o700


def test_two_commands_creating_the_secret_key_at_once_share_the_one_kept(tmp_path: Path, open_umask: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ``tracker`` commands started at once on a new instance both find no key; the one
    that creates it second used to fail (FileExistsError: 内部错误, exit 70) — now it reads the
    key the first one kept, so both sign with it.  The race is forced: the second command's
    look finds nothing although the first has just written it."""
    from tracker.config import _instance_secret

    first = _instance_secret(tmp_path)
    monkeypatch.setattr(Path, "exists", lambda self: False if self.name == "secret_key" else os.path.exists(self))
    assert _instance_secret(tmp_path) == first
    assert (tmp_path / "secret_key").read_text(encoding="ascii").strip() == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no file of its own left behind
