"""How big a BIFF (.xls) workbook's sheets are, read from its records before calamine opens it.

calamine allocates each sheet as one rectangle, sized from the sheet's DIMENSIONS record and
its cells: a 5 KB .xls whose DIMENSIONS claims four billion rows aborts the process (the
allocation fails in Rust, where no ``except`` reaches).  So the Workbook stream is walked
record by record (xlrd's compound-document reader takes it out of the OLE2 container) and
every sheet's rectangle — the largest row and column named by DIMENSIONS, ROW or any cell
record — is held to ``max_sheet_cells``.  A stream that cannot be walked is left to the readers,
which refuse it as damaged.
"""

from __future__ import annotations

import struct

from tracker.importers.archive_guard import check_sheet_extent
from tracker.importers.file_limits import FileLimits

_BOF, _DIMENSIONS, _ROW = 0x0809, 0x0200, 0x0208
# records whose payload starts with the row and column (u16 each) of one cell
_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
_MULTIPLE = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column … last column


def check_biff_extent(data: bytes, limits: FileLimits, location: str) -> None:
    stream = _workbook_stream(data)
    if stream is None:
        return
    rows = columns = 0
    position, end = 0, len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        payload = position + 4
        position = payload + length
        if kind == _BOF:  # a new sheet (or the globals)
            check_sheet_extent(rows, columns, limits, location)
            rows = columns = 0
        elif kind == _DIMENSIONS and length >= 14:
            last_row, last_column = struct.unpack_from("<4xI2xH", stream, payload)
            rows, columns = max(rows, last_row), max(columns, last_column)
        elif kind == _DIMENSIONS and length >= 10:  # BIFF5 and older: 16-bit rows
            last_row, last_column = struct.unpack_from("<2xH2xH", stream, payload)
            rows, columns = max(rows, last_row), max(columns, last_column)
        elif kind == _ROW and length >= 6:
            row, _, last_column = struct.unpack_from("<HHH", stream, payload)
            rows, columns = max(rows, row + 1), max(columns, last_column)
        elif kind in _CELLS and length >= 4:
            row, column = struct.unpack_from("<HH", stream, payload)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in _MULTIPLE and length >= 6:
            (row,) = struct.unpack_from("<H", stream, payload)
            (last,) = struct.unpack_from("<H", stream, payload + length - 2)
            rows, columns = max(rows, row + 1), max(columns, last + 1)
    check_sheet_extent(rows, columns, limits, location)


def _workbook_stream(data: bytes) -> bytes | None:
    from xlrd.compdoc import CompDoc

    try:
        document = CompDoc(data, logfile=_Silent())
        for name in ("Workbook", "Book"):
            stream = document.get_named_stream(name)
            if stream:
                return bytes(stream)
    except Exception:  # noqa: BLE001 - a broken container: the readers refuse it, named
        return None
    return None


class _Silent:
    """xlrd writes its warnings to a log file; there is nobody to read them here."""

    def write(self, text: str) -> None:
        pass


__all__ = ["check_biff_extent"]
