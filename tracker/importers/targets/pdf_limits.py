"""A cap on what pdfminer decompresses while reading one PDF.

pdfminer (under pdfplumber) inflates every stream whole and keeps it: a 450 KB PDF whose page
content inflates to 300 MB took 3.8 GB before running out.  A PDF is not a zip, so the archive
guard cannot look inside; instead pdfminer's stream decoding is bounded while a PDF is read:
Flate output stops one byte past the room left (``zlib`` in ``pdfminer.pdftypes`` is replaced
by a bounded one), LZW and RunLength output is checked as it comes back, and every decoded
stream is added to the total.  Encrypted PDFs are covered too: the check runs on what pdfminer
decodes, after it has decrypted.

The budget lives in a ``ContextVar``: each read has its own, and outside ``stream_budget`` (or
in another thread) pdfminer behaves as before.  The hooks are installed once, on first use.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class StreamBudgetExceeded(Exception):
    """More was decompressed than the budget allows (the reader turns it into a refusal)."""


class StreamBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.exceeded = False

    @property
    def room(self) -> int:
        return self.limit - self.used

    def check(self, size: int) -> None:
        """Refuse an output of ``size`` bytes that does not fit in what is left."""
        if size > self.room:
            self.exceeded = True
            raise StreamBudgetExceeded

    def take(self, size: int) -> None:
        self.check(size)
        self.used += size


_CURRENT: ContextVar[StreamBudget | None] = ContextVar("pdf_stream_budget", default=None)
_installed = False
_installing = threading.Lock()


@contextmanager
def stream_budget(limit: int) -> Iterator[StreamBudget]:
    """pdfminer may decompress at most ``limit`` bytes in this block (all streams together)."""
    _install()
    budget = StreamBudget(limit)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


class _BoundedInflater:
    def __init__(self, *args: Any) -> None:
        self.inner = zlib.decompressobj(*args)
        self.produced = 0

    def decompress(self, data: bytes, *args: Any) -> bytes:
        budget = _CURRENT.get()
        if budget is None:
            return self.inner.decompress(data, *args)
        out = self.inner.decompress(data, budget.room + 1)
        self.produced += len(out)
        budget.check(self.produced)
        return out

    def flush(self, *args: Any) -> bytes:
        return self.inner.flush(*args)


class _BoundedZlib:
    """What pdfminer.pdftypes uses of ``zlib``, with the output bounded by the budget."""

    error = zlib.error
    MAX_WBITS = zlib.MAX_WBITS

    @staticmethod
    def decompress(data: bytes, *args: Any) -> bytes:
        budget = _CURRENT.get()
        if budget is None:
            return zlib.decompress(data, *args)
        inflater = zlib.decompressobj(*args[:1])
        out = inflater.decompress(data, budget.room + 1)
        budget.check(len(out))
        if not inflater.eof:  # as zlib.decompress does: pdfminer then tries its lenient way
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out

    @staticmethod
    def decompressobj(*args: Any) -> _BoundedInflater:
        return _BoundedInflater(*args)


def _checked(decoder: Callable[..., bytes]) -> Callable[..., bytes]:
    def decode(*args: Any) -> bytes:
        out = decoder(*args)
        budget = _CURRENT.get()
        if budget is not None:
            budget.check(len(out))
        return out

    return decode


def _install() -> None:
    global _installed
    with _installing:
        if not _installed:
            _hook()
            _installed = True


def _hook() -> None:
    from pdfminer import pdftypes

    pdftypes.zlib = _BoundedZlib  # type: ignore[assignment]
    pdftypes.lzwdecode = _checked(pdftypes.lzwdecode)
    pdftypes.rldecode = _checked(pdftypes.rldecode)
    decode = pdftypes.PDFStream.decode

    def counted_decode(self: Any) -> None:
        decode(self)
        budget = _CURRENT.get()
        if budget is not None:
            budget.take(len(self.data or b""))

    pdftypes.PDFStream.decode = counted_decode  # type: ignore[method-assign]


__all__ = ["StreamBudget", "StreamBudgetExceeded", "stream_budget"]
