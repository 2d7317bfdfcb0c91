"""The export read ahead of the writer: the reader of the one-step ledger import
(``ledger_pipeline``), in a module that imports no database code.

The reader is a thread (zlib, fastexcel and pyarrow let go of the interpreter lock while they
work; the archive guard's NumPy scan of a sheet, short steps over 1 MB blocks, mostly holds it)
or, asked for, a process of its own (``importers/ledger/reader_process.py``); either puts the pieces of ``read_ledger_chunks`` —
the head, the chunks, the parse — into a bounded queue (``QUEUE_CHUNKS``), so memory stays
bounded, and hands an exception it meets to the writer, which raises it.

Because nothing here needs SQLAlchemy or the models, ``tracker import ledger`` starts reading
its first file (``start``) before it loads them: the half second the interpreter spends
importing the database side runs beside the reader: fully while fastexcel or pyarrow parse, by
turns while the guard scans (measured: little gain today for an .xlsx, README "Ledger import
speed").  The pipeline takes the started reader over only if it reads with the very options the
pipeline would choose (``ReadAhead.serves``), else it stops it and starts its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger.reader_process import ReaderProcess
from tracker.importers.ledger.streaming import CHUNK_ROWS, read_ledger_chunks

QUEUE_CHUNKS = 3  # chunks read ahead of the writer at most
# Whether ``reader="auto"`` reads a big .xlsx in a process of its own rather than a thread.  Off:
# on the 2-CPU reference machine the process was not faster (README, "Ledger import speed") —
# zlib, fastexcel and pyarrow let go of the GIL, so a thread overlaps much of the reading
# already, and the process adds its start (≈ 0.4 s) and the chunks' pickling, and takes a
# second core from the web workers while an import runs.  Worth trying on a machine with cores
# to spare (``benchmarks/ledger_import.py`` measures both).
PROCESS_FOR_BIG_WORKBOOKS = False
_PUT_WAIT = 0.2  # seconds a put waits before it looks at the stop flag again
END = object()  # what ``next()`` gives after the last piece

ReaderKind = Literal["auto", "thread", "process"]


class ReaderThread:
    """The reader thread: the pieces of ``read_ledger_chunks`` into a bounded queue; an
    exception it meets is handed over and raised in the writer's thread."""

    def __init__(self, pieces: Iterator[Any]) -> None:
        self.pieces = pieces
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ledger-reader", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            for piece in self.pieces:
                if not self._put(("piece", piece)):
                    return
            self._put(("end", None))
        except BaseException as error:  # noqa: BLE001 - handed to the writer, raised there
            self._put(("error", error))
        finally:
            self.pieces.close()  # type: ignore[attr-defined]

    def _put(self, entry: tuple[str, Any]) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(entry, timeout=_PUT_WAIT)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> Any:
        kind, value = self.queue.get()
        if kind == "error":
            raise value
        return END if kind == "end" else value

    def close(self) -> None:
        """Stops the thread and waits for it (a second call does nothing more)."""
        self.stop.set()
        if not self.thread.is_alive():
            return
        while self.thread.is_alive():
            try:
                while True:
                    self.queue.get_nowait()
            except queue.Empty:
                pass
            self.thread.join(timeout=_PUT_WAIT)


class ReaderInProcess(ReaderProcess):
    END = END


def reader_options(*, mapping: dict[str, str] | None = None, limits: FileLimits = DEFAULT_LIMITS,
                   status_answers: dict[str, bool] | None = None, chunk_rows: int = CHUNK_ROWS,
                   count_rule: str | None = None) -> dict[str, Any]:
    """The keyword arguments of ``read_ledger_chunks`` for an import's answers."""
    return {"mapping": mapping or None, "limits": limits, "status_answers": status_answers or {},
            "chunk_rows": chunk_rows, **({"count_rule": count_rule} if count_rule else {})}


def reader_for(name: str, data: bytes, options: dict[str, Any],
               reader: ReaderKind) -> ReaderThread | ReaderInProcess:
    """The file read by a thread, or by a process (``importers/ledger/reader_process.py``),
    not yet started.

    ``auto``: a thread, or with ``PROCESS_FOR_BIG_WORKBOOKS`` a process for a workbook (a zip)
    big enough for the columnar reader.  Never a process for a CSV: its reading is mostly
    pyarrow, which lets go of the GIL, and the process's start (an interpreter and the readers'
    imports, ≈ 0.4 s before the first chunk) was measured to cost more than it saves; nor for a
    small file, read in well under a second either way."""
    from tracker.importers.archive_guard import is_zip
    from tracker.importers.ledger import columnar

    if reader == "thread" or (reader == "auto" and not (
            PROCESS_FOR_BIG_WORKBOOKS and columnar.big_enough(data) and is_zip(data))):
        return ReaderThread(read_ledger_chunks(name, data, **options))
    # the columnar reader's module settings as they are here (tests make its CSV blocks smaller)
    return ReaderInProcess(name, data, options,
                           {"STREAM_BLOCK_BYTES": columnar.STREAM_BLOCK_BYTES,
                            "FAST_PATH_MIN_BYTES": columnar.FAST_PATH_MIN_BYTES})


@dataclass
class ReadAhead:
    """A file whose reading started before the import was called (``start``)."""

    name: str
    data: bytes
    options: dict[str, Any]
    kind: ReaderKind
    pieces: ReaderThread | ReaderInProcess

    def serves(self, name: str, data: bytes, options: dict[str, Any], kind: ReaderKind) -> bool:
        """Whether this reading is the one the import would start: the same file read with
        the same options by the same kind of reader."""
        return (name == self.name and data is self.data and kind == self.kind
                and options == self.options)

    def close(self) -> None:
        self.pieces.close()


def start(name: str, data: bytes, options: dict[str, Any], kind: ReaderKind = "auto") -> ReadAhead:
    """Starts reading ``data`` now; give the result to ``ledger_pipeline.import_ledger``
    (``read_ahead=``), and close it in a ``finally`` (closing twice is harmless)."""
    pieces = reader_for(name, data, options, kind)
    pieces.start()
    return ReadAhead(name, data, options, kind, pieces)


__all__ = ["END", "PROCESS_FOR_BIG_WORKBOOKS", "QUEUE_CHUNKS", "ReadAhead", "ReaderInProcess",
           "ReaderThread", "reader_for", "reader_options", "start"]
