"""Uploaded files waiting between preview and confirmation.

A preview stores the bytes under ``instance/uploads/<token>/``; the confirmation reads them
back by token, so what is imported is exactly what was previewed."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import NotFound
from tracker.private_files import create_file, make_folder

@dataclass(frozen=True)
class UploadedFile:
    """A file as the user gave it: its name and its bytes."""

    name: str
    data: bytes

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600


def save(instance_path: str, files: list[tuple[str, bytes]]) -> str:
    root = Path(instance_path) / "uploads"
    _clean_old(root)
    token = secrets.token_hex(16)
    folder = root / token
    make_folder(folder)  # uploads/ and each upload's folder: mode 700, files 600
    names = []
    for index, (name, data) in enumerate(files):
        create_file(folder / f"{index}.bin", data)
        names.append(name)
    create_file(folder / "names.json", json.dumps(names, ensure_ascii=False).encode("utf-8"))
    return token


def load(instance_path: str, token: str) -> list[tuple[str, bytes]]:
    folder = Path(instance_path) / "uploads" / token
    if not TOKEN.match(token) or not folder.is_dir():
        raise NotFound("预览已过期或不存在，请重新上传文件。")
    names = json.loads((folder / "names.json").read_text(encoding="utf-8"))
    return [(name, (folder / f"{i}.bin").read_bytes()) for i, name in enumerate(names)]


def discard(instance_path: str, token: str) -> None:
    if TOKEN.match(token):
        shutil.rmtree(Path(instance_path) / "uploads" / token, ignore_errors=True)


def _clean_old(root: Path) -> None:
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
