"""A damaged target document is refused in Chinese only: no library exception name in the message."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tracker.errors import ImportRejected
from tracker.importers.targets import read_target_document


def _broken_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # a .docx without its document part
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/styles.xml", "<w:styles/>")
    return buffer.getvalue()


def _broken_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # a workbook part that is not XML
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all <<<")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("目标表.docx", _broken_docx()),
    ("目标表.xlsx", _broken_xlsx()),
    ("目标表.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"),
])
def test_a_damaged_document_is_refused_without_library_english(name: str, data: bytes) -> None:
    with pytest.raises(ImportRejected) as refused:
        read_target_document(name, data, year=2025)
    message = str(refused.value).replace(name, "")  # the location names the file
    assert not re.search(r"[A-Za-z]{4,}", message.replace("Excel", "").replace("Word", "").replace("PDF", "")), message
