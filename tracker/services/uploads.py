"""Uploaded files waiting between preview and confirmation.

A preview stores the bytes under ``instance/uploads/<token>/``; the confirmation reads them
back by token, so what is imported is exactly what was previewed.  Each preview shown also
stores what it decided (``save_plan``: the resolved unit, source, period, mapping …) under a
plan id of its own, which the confirm form carries back: confirming repeats that preview, not
the form's defaults, and an older tab confirms the preview it shows.

What the preview read (the ledger parse, the target documents) is kept beside them too
(``save_result``), so a confirmation does not read the file again: pickled, and sealed with an
HMAC of the app's SECRET_KEY over the upload's token, the file's checksum and the shape of the
record classes (``record_schema``).  Bytes whose seal does not verify are never unpickled; a
result stored before a record class changed shape, altered, or cleaned away with its upload
(``KEEP_SECONDS``) is refused with a request to upload again."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import pickle
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from tracker.errors import NotFound
from tracker.private_files import create_file, make_folder
from tracker.services.gc_pause import collector_paused

@dataclass(frozen=True)
class UploadedFile:
    """A file as the user gave it: its name and its bytes."""

    name: str
    data: bytes

    @cached_property
    def checksum(self) -> str:
        """sha256 of the bytes, computed once (a million-row export takes about 0.15 s)."""
        return hashlib.sha256(self.data).hexdigest()


def checksum_of(files: Sequence[UploadedFile]) -> str:
    """One checksum for a set of files (one file: its own)."""
    if len(files) == 1:
        return files[0].checksum
    return hashlib.sha256("\n".join(f.checksum for f in files).encode("ascii")).hexdigest()


TOKEN = re.compile(r"^[0-9a-f]{32}$")
PLAN = re.compile(r"^[0-9a-f]{16}$")
KEEP_SECONDS = 24 * 3600
RESULT_GONE = "预览时读取的结果已过期、已清理或已损坏，请重新上传文件并预览后再确认。"
_SEAL_SIZE = hashlib.sha256().digest_size


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


def record_schema(*classes: type) -> str:
    """The shape of the dataclasses a stored result holds (their names and fields, in order):
    a field added, removed or renamed makes results stored before it unreadable, not wrong."""
    text = ";".join(f"{c.__module__}.{c.__qualname__}({','.join(f.name for f in fields(c))})"
                    for c in classes)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_result(instance_path: str, token: str, checksum: str, value: object, *, secret: str,
                schema: str, result_id: str | None = None) -> str:
    """Keep what a preview read from the upload ``token`` (the file ``checksum``), sealed;
    returns the result id the preview's plan carries to the confirmation (a new one, or
    ``result_id``: 16 hex digits, for an upload read only once)."""
    folder = _folder(instance_path, token)
    result_id = result_id or secrets.token_hex(8)
    if not PLAN.match(result_id):
        raise ValueError("a result id is 16 hex digits")
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    create_file(folder / f"result-{result_id}.bin",
                _seal(secret, token, result_id, checksum, schema, payload) + payload)
    return result_id


def load_result(instance_path: str, token: str, result_id: str, checksum: str, *, secret: str,
                schema: str) -> Any:
    """The value ``save_result`` kept, after its seal is checked (the same secret, upload,
    result id, file checksum and record shapes); else ``NotFound`` asking to upload again."""
    folder = _folder(instance_path, token)
    path = folder / f"result-{result_id}.bin"
    if not PLAN.match(result_id) or not path.is_file():
        raise NotFound(RESULT_GONE)
    blob = path.read_bytes()
    seal, payload = blob[:_SEAL_SIZE], blob[_SEAL_SIZE:]
    if not hmac.compare_digest(seal, _seal(secret, token, result_id, checksum, schema, payload)):
        raise NotFound(RESULT_GONE)
    try:
        with collector_paused():  # millions of small objects without cycles (5× faster)
            return _RecordUnpickler(io.BytesIO(payload)).load()
    except Exception:  # sealed by us, yet unreadable: a class renamed or moved since
        raise NotFound(RESULT_GONE) from None


def _seal(secret: str, token: str, result_id: str, checksum: str, schema: str, payload: bytes) -> bytes:
    if not secret:
        raise RuntimeError("SECRET_KEY is not set")  # create_app always sets one
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update("\0".join(("tracker-upload-result", token, result_id, checksum, schema)).encode("utf-8"))
    mac.update(b"\0")
    mac.update(payload)
    return mac.digest()


class _RecordUnpickler(pickle.Unpickler):
    """Only the classes records are made of (behind the seal: a second fence, not the first):
    a class by its own plain name in the module that defines it — never a dotted path (protocol
    4 walks one: ``zipfile.os.system`` out of a module that imports zipfile), a function, or
    what a module merely imported."""

    CLASSES = {"decimal": frozenset({"Decimal"}),
               "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
               "builtins": frozenset({"frozenset", "set", "bytearray"})}

    def find_class(self, module: str, name: str) -> Any:
        plain = name.isidentifier() and not name.startswith("__")
        if plain and name in self.CLASSES.get(module, ()):
            return super().find_class(module, name)
        if plain and module.startswith("tracker.importers."):
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module and found.__qualname__ == name:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a record class")


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
