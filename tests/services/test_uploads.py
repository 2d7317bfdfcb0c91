"""What a preview read, kept beside its upload for the confirmation (issue #18): sealed with the
app's secret over the upload, the file's checksum and the records' shape; nothing that fails
the seal is unpickled, and a confirmation that cannot use it is asked to upload again."""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import dataclass, make_dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tracker.errors import NotFound
from tracker.importers.ledger import read_ledger
from tracker.services import uploads
from tracker.services.ledger_import import PARSE_SCHEMA, parse_to_keep

SECRET = "test-secret"
CSV = ("\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）,支付状态\n"
       "2025-02-01,1,205001-石嘴山市科学技术局,专项业务经费,会务费,\"1,100.50\",已支付\n"
       "2025-02-02,2,205001-石嘴山市科学技术局,专项业务经费,退款,\"-20.00\",已退回\n").encode("utf-8")


def kept(tmp_path: Path, value: object, checksum: str = "c" * 64) -> tuple[str, str]:
    token = uploads.save(str(tmp_path), [("支付.csv", CSV)])
    return token, uploads.save_result(str(tmp_path), token, checksum, value, secret=SECRET, schema="s1")


def test_a_ledger_parse_comes_back_with_every_field(tmp_path: Path) -> None:
    parse = read_ledger("支付.csv", CSV)
    # a small file is read row by row: kept column by column, every row comes back equal (all
    # of ``LedgerRow``'s fields, whatever fields it gains)
    assert isinstance(parse.rows, tuple)
    token = uploads.save(str(tmp_path), [("支付.csv", CSV)])
    result_id = uploads.save_result(str(tmp_path), token, "c" * 64, parse_to_keep(parse), secret=SECRET,
                                    schema=PARSE_SCHEMA)
    back = uploads.load_result(str(tmp_path), token, result_id, "c" * 64, secret=SECRET, schema=PARSE_SCHEMA)
    assert list(back.rows) == list(parse.rows) and back.rows[0].amount == Decimal("1100.50")
    assert vars(back.columns) == vars(parse.columns) and back.findings == parse.findings
    assert (back.sheets, back.period, back.mapping, back.totals_check()) == (
        parse.sheets, parse.period, parse.mapping, parse.totals_check())
    assert oct((tmp_path / "uploads" / token / f"result-{result_id}.bin").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("change", ["secret", "checksum", "schema", "token", "result", "byte", "gone"])
def test_anything_but_the_same_upload_file_secret_and_shape_is_refused(tmp_path: Path, change: str) -> None:
    token, result_id = kept(tmp_path, {"rows": [date(2025, 2, 1), Decimal("1.50")]})
    other_token, _ = kept(tmp_path, {"rows": []})
    path = tmp_path / "uploads" / token / f"result-{result_id}.bin"
    args = {"token": token, "result_id": result_id, "checksum": "c" * 64, "secret": SECRET, "schema": "s1"}
    if change == "byte":
        blob = bytearray(path.read_bytes())
        blob[40] ^= 1
        path.write_bytes(bytes(blob))
    elif change == "gone":
        path.unlink()
    elif change == "token":  # the file moved under another upload
        os.replace(path, tmp_path / "uploads" / other_token / path.name)
        args["token"] = other_token
    else:
        args[{"secret": "secret", "checksum": "checksum", "schema": "schema", "result": "result_id"}[change]] = {
            "secret": "another-secret", "checksum": "d" * 64, "schema": "s2", "result": "0" * 16}[change]
    with pytest.raises(NotFound, match="请重新上传文件并预览"):
        uploads.load_result(str(tmp_path), args["token"], args["result_id"], args["checksum"],
                            secret=args["secret"], schema=args["schema"])
    if change in ("secret", "checksum", "schema", "result"):  # the kept file itself is intact
        assert uploads.load_result(str(tmp_path), token, result_id, "c" * 64, secret=SECRET,
                                   schema="s1") == {"rows": [date(2025, 2, 1), Decimal("1.50")]}


def test_even_sealed_bytes_build_only_record_classes(tmp_path: Path) -> None:
    """A second fence behind the seal: bytes sealed with the right secret that would call
    anything but a record class (here ``os.system``) are refused, not run."""
    token, result_id = kept(tmp_path, None)
    payload = pickle.dumps(Evil())
    path = tmp_path / "uploads" / token / f"result-{result_id}.bin"
    path.write_bytes(uploads._seal(SECRET, token, result_id, "c" * 64, "s1", payload) + payload)
    with pytest.raises(NotFound, match="请重新上传文件并预览"):
        uploads.load_result(str(tmp_path), token, result_id, "c" * 64, secret=SECRET, schema="s1")
    assert not (tmp_path / "pwned").exists()


def _global_call(module: str, name: str, argument: str) -> bytes:
    """A pickle calling ``module``'s attribute ``name`` (a dotted path, as protocol 4 allows)."""
    text = lambda value: b"\x8c" + bytes([len(value.encode())]) + value.encode()  # noqa: E731
    return b"\x80\x04" + text(module) + text(name) + b"\x93" + text(argument) + b"\x85R."


@pytest.mark.parametrize("module, name", [
    ("tracker.importers.archive_guard", "zipfile.os.system"),  # a dotted path out of a record module
    ("tracker.importers.ledger", "read_ledger"),  # a function of a record module, not a class
    ("tracker.importers.archive_guard", "BytesIO"),  # a class a record module imports, not its own
    ("decimal", "getcontext"), ("datetime", "sys"),
])
def test_sealed_bytes_reach_nothing_but_the_record_classes_themselves(tmp_path: Path, module: str,
                                                                       name: str) -> None:
    """The allow-list names classes, not modules: a module's other attributes (what it imported,
    its functions, a dotted path through them to ``os.system``) are refused even when sealed."""
    token, result_id = kept(tmp_path, None)
    payload = _global_call(module, name, f"touch {tmp_path}/pwned")
    path = tmp_path / "uploads" / token / f"result-{result_id}.bin"
    path.write_bytes(uploads._seal(SECRET, token, result_id, "c" * 64, "s1", payload) + payload)
    with pytest.raises(NotFound, match="请重新上传文件并预览"):
        uploads.load_result(str(tmp_path), token, result_id, "c" * 64, secret=SECRET, schema="s1")
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(pickle.UnpicklingError):  # refused by name, before anything is called
        uploads._RecordUnpickler(io.BytesIO(b"")).find_class(module, name)


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("touch pwned",)


def test_the_shape_follows_the_record_fields_without_edits() -> None:
    """A field added to a record (e.g. a reason code beside ``not_counted_reason``) changes the
    schema by itself: parses kept before it are asked again, not read wrongly."""
    @dataclass
    class Row:
        amount: int

    grown = make_dataclass("Row", [("amount", int), ("reason_code", str)])
    grown.__module__, grown.__qualname__ = Row.__module__, Row.__qualname__
    assert uploads.record_schema(Row) == uploads.record_schema(Row)
    assert uploads.record_schema(Row) != uploads.record_schema(grown)


def test_one_checksum_for_a_set_of_files() -> None:
    one, two = uploads.UploadedFile("a", b"a"), uploads.UploadedFile("b", b"b")
    assert uploads.checksum_of([one]) == one.checksum
    assert uploads.checksum_of([one, two]) != uploads.checksum_of([two, one])
