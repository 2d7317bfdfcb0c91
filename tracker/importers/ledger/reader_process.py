"""The ledger reader in a process of its own, for the one-step import of a big export
(``services/ledger_pipeline.py``).

A reader *thread* shares the interpreter lock with the writer: both are mostly Python, so an
import took as long as reading plus writing.  Here a child process (a new interpreter,
``python -m tracker.importers.ledger.reader_process``: nothing of the parent — its database
connection, its threads — is inherited, and the parent's ``__main__`` is not imported again)
runs ``read_ledger_chunks`` and sends its pieces back pickled, so that on two cores the next
chunk is read while the one before is written.

The wire: the parent writes the job (file name, options, then the file's bytes) to the
child's stdin and keeps stdin open; the child writes length-prefixed pickles to its own copy
of stdout (fd 1 itself is pointed at stderr, so nothing a library prints can break the
stream).  The child reads at most ``QUEUE_CHUNKS`` pieces ahead (a bounded queue in front of a
sender thread; a full pipe blocks the sender), so memory stays bounded.

Stopping, on every path: the parent's ``close`` (in a ``finally``) closes stdin and the pipe
and kills the child if it has not gone within a second; the child exits at once when its
stdin reaches end of file — a watchdog thread waits for that — so a parent killed with
SIGKILL leaves no reader behind; and on Linux the child also asks the kernel for SIGKILL when
its parent dies.  Ctrl+C is the parent's to handle (the child ignores SIGINT).  An exception
in the child is sent as a piece and raised in the parent (the same Chinese ``ImportRejected``);
a child that dies without saying why becomes ``ImportRejected`` with its exit status.

The final ``LedgerParse`` is not sent row by row: the parent already holds every row from the
chunks, so the child sends the parse without its rows plus the three counting columns that the
whole-file decisions change (``FileReading.finish``), and the parent puts them together.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from tracker.errors import ImportRejected

QUEUE_CHUNKS = 3  # pieces the child reads ahead of the parent at most
_LENGTH = struct.Struct("<Q")
_STOP_WAIT = 1.0  # seconds the child gets to go by itself before it is killed
_COUNTING = ("counts", "not_counted_reason", "not_counted_code")
_PR_SET_PDEATHSIG = 1


class ReaderProcess:
    """The parent's side: ``next()`` gives the pieces of ``read_ledger_chunks`` in order, then
    ``END``; ``close()`` stops the child whatever happened."""

    END = object()

    def __init__(self, filename: str, data: bytes, options: dict[str, Any],
                 settings: dict[str, Any] | None = None) -> None:
        self.filename = filename
        self._job = (filename, options, settings or {}, len(data))
        self._data = data
        self.whole: Any = None  # the rows of the chunks received so far (LedgerColumns)
        self.process: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None

    def start(self) -> None:
        root = str(Path(__file__).resolve().parents[3])  # the directory holding ``tracker``
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tracker.importers.ledger.reader_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            close_fds=True)
        # the file is written by a thread: the child reads it once its imports are done
        self._feeder = threading.Thread(target=self._feed, name="ledger-reader-feed", daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            _send(self.process.stdin, self._job)
            self.process.stdin.write(self._data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child is gone (or being stopped): ``next`` says so
        finally:
            self._data = b""

    def next(self) -> Any:
        from tracker.importers.ledger.records import LedgerRows
        from tracker.importers.ledger.streaming import LedgerChunk

        assert self.process is not None and self.process.stdout is not None
        message = _receive(self.process.stdout)
        if message is None:
            raise self._died()
        kind, value = message
        if kind == "error":
            raise value
        if kind == "end":
            return self.END
        if kind == "piece":
            if isinstance(value, LedgerChunk):
                if self.whole is None:
                    self.whole = value.columns.part(0, len(value.columns))
                else:
                    self.whole.extend(value.columns)
            return value
        if kind == "parse":  # the rows are the chunks' (their counting decided at the end)
            parse, counting = value
            whole, self.whole = self.whole, None
            if whole is None:
                from tracker.importers.ledger.records import LedgerColumns

                whole = LedgerColumns.from_rows(())
            for name, values in zip(_COUNTING, counting):
                setattr(whole, name, values)
            return replace(parse, rows=LedgerRows(whole))
        self.whole = None
        return value  # "whole parse": sent as it is

    def _died(self) -> ImportRejected:
        assert self.process is not None
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
        said = f"（退出状态 {status}）" if status is not None else ""
        return ImportRejected(f"读取文件的后台进程意外结束{said}，没有导入任何数据；请重新导入，"
                              "如仍失败请联系管理员", location=f"文件 {self.filename}")

    def close(self) -> None:
        process, self.process = self.process, None
        self.whole = None
        if process is None:
            return
        if self._feeder is not None and self._feeder.is_alive():
            process.kill()  # still being fed the file: closing its stdin would wait for the write
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            process.wait(timeout=_STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._feeder is not None:
            self._feeder.join()


def _send(stream: IO[bytes], value: Any) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)) + payload)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or None at end of file (the child is gone)."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    payload = _read_exactly(stream, _LENGTH.unpack(head)[0])
    return None if payload is None else pickle.loads(payload)


# -- the child ---------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """Linux: SIGKILL when the parent dies (besides the watchdog, which sees stdin close)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog still works
        pass


def _watch(stdin: IO[bytes]) -> None:
    """Exit as soon as the parent closes our stdin (or dies)."""
    while True:
        try:
            if not stdin.read(1 << 16):
                break
        except (OSError, ValueError):
            break
    os._exit(0)


def _messages(pieces: Iterator[Any]) -> Iterator[tuple[str, Any]]:
    """The pieces as messages; the final parse without the rows the chunks already carried."""
    from tracker.importers.ledger.records import LedgerParse, LedgerRows
    from tracker.importers.ledger.streaming import LedgerChunk, LedgerReread

    rows = 0
    reread = False
    try:
        for piece in pieces:
            if isinstance(piece, LedgerChunk):
                rows += len(piece.columns)
            elif isinstance(piece, LedgerReread):
                reread = True
            elif isinstance(piece, LedgerParse):
                if isinstance(piece.rows, LedgerRows) and not reread and len(piece.rows) == rows:
                    columns = piece.rows.columns
                    yield "parse", (replace(piece, rows=()), [getattr(columns, n) for n in _COUNTING])
                else:
                    yield "whole parse", piece
                continue
            yield "piece", piece
    except BaseException as error:  # noqa: BLE001 - raised again in the parent
        yield "error", error
        return
    yield "end", None


def _encoded(message: tuple[str, Any]) -> bytes:
    try:
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
        kind, value = message
        if kind != "error":
            raise
        payload = pickle.dumps(("error", RuntimeError(f"{type(value).__name__}: {value}")))
    return _LENGTH.pack(len(payload)) + payload


def main() -> None:
    """The child: read the job from stdin, send the pieces on the original stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the stream
    stdin = sys.stdin.buffer
    job = _receive(stdin)
    if job is None:
        os._exit(0)
    filename, options, settings, size = job
    data = _read_exactly(stdin, size)
    if data is None:
        os._exit(0)
    threading.Thread(target=_watch, args=(stdin,), daemon=True).start()
    gc.disable()  # millions of objects without cycles, in a process that ends after them

    from tracker.importers.ledger import columnar
    from tracker.importers.ledger.streaming import read_ledger_chunks

    for name, value in settings.items():  # module settings the parent runs with (tests change them)
        setattr(columnar, name, value)
    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)

    def send() -> None:
        try:
            while (payload := ready.get()) is not None:
                out.write(payload)
                out.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the parent is gone
        os._exit(0)

    sender = threading.Thread(target=send, name="ledger-reader-send", daemon=True)
    sender.start()
    for message in _messages(read_ledger_chunks(filename, data, **options)):
        ready.put(_encoded(message))
    ready.put(None)
    sender.join()


if __name__ == "__main__":
    main()


__all__ = ["QUEUE_CHUNKS", "ReaderProcess"]
