"""How big an uploaded file may be once opened: the caps that keep a hostile file (a zip bomb,
a sheet with a cell at XFD1048576, two million rows) from taking the server's memory.

The values are configuration (``TRACKER_MAX_*``, see config.py), not database settings: they
protect the process, must hold before any database is reached (the CLI reads files too), and
an importer is pure, so it is handed a ``FileLimits``; the defaults below are the configured
defaults.  Each refusal names the limit it hit, in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    #: entries in a zip container (.xlsx/.docx/.ods); a workbook has a few dozen
    max_archive_entries: int = 2_000
    #: bytes a ledger workbook may decompress to (all its entries together)
    max_decompressed_bytes: int = 2_000 * MB
    #: bytes a 绩效目标表 (.xlsx/.docx) may decompress to; lower, because a Word document is
    #: read whole into a tree (python-docx holds a 49 MB body in about 940 MB) and target
    #: tables are small (20,000 table rows of Word XML are some 30 MB)
    max_target_decompressed_bytes: int = 50 * MB
    #: decompressed ÷ compressed size of one entry of 1 MB or more (XML compresses ~5–30×)
    max_compression_ratio: int = 100
    #: rows of a ledger file (all its sheets; a CSV's lines, an .xlsx's <row> elements)
    max_ledger_rows: int = 2_000_000
    #: rows of a 绩效目标表 (all its sheets or tables)
    max_target_rows: int = 20_000
    #: rows × columns of one worksheet as the reader lays it out (calamine allocates the whole
    #: rectangle: about 32 bytes a cell, so 40 million cells are about 1.3 GB)
    max_sheet_cells: int = 40_000_000


DEFAULT_LIMITS = FileLimits()


def megabytes(size: int) -> str:
    """``2,000 MB`` for a limit in bytes, as the refusals print it."""
    return f"{size / MB:,.0f} MB"


__all__ = ["DEFAULT_LIMITS", "FileLimits", "MB", "megabytes"]
