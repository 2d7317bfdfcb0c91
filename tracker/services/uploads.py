"""Uploaded files waiting between preview and confirmation.

A preview stores the bytes under ``instance/uploads/<token>/``; the confirmation reads them
back by token, so what is imported is exactly what was previewed.  Each preview shown also
stores what it decided (``save_plan``: the resolved unit, source, period, mapping …) under a
plan id of its own, which the confirm form carries back: confirming repeats that preview, not
the form's defaults, and an older tab confirms the preview it shows."""

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
PLAN = re.compile(r"^[0-9a-f]{16}$")
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
    folder = _folder(instance_path, token)
    names = json.loads((folder / "names.json").read_text(encoding="utf-8"))
    return [(name, (folder / f"{i}.bin").read_bytes()) for i, name in enumerate(names)]


def save_plan(instance_path: str, token: str, plan: dict[str, object]) -> str:
    """Keep what a preview of the upload ``token`` decided; returns the plan id."""
    folder = _folder(instance_path, token)
    plan_id = secrets.token_hex(8)
    (folder / f"plan-{plan_id}.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return plan_id


def load_plan(instance_path: str, token: str, plan_id: str) -> dict[str, object]:
    path = _folder(instance_path, token) / f"plan-{plan_id}.json"
    if not PLAN.match(plan_id) or not path.is_file():
        raise NotFound("预览已过期或不存在，请重新预览后再确认。")
    return json.loads(path.read_text(encoding="utf-8"))


def _folder(instance_path: str, token: str) -> Path:
    folder = Path(instance_path) / "uploads" / token
    if not TOKEN.match(token) or not folder.is_dir():
        raise NotFound("预览已过期或不存在，请重新上传文件。")
    return folder


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
