"""Arrow ↔ NumPy for the columnar fast path, without pandas, and ``Declined``.

pyarrow's to_numpy() and np.asarray(array) convert through its pandas machinery, and making an
array or scalar from Python objects (pa.array, pa.scalar, a Python value given to a compute
function) first asks whether they are pandas objects: each imports pandas, 0.4 s in a fresh
process.  These go through the buffers instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# what str.strip() drops: every character whose isspace() is true (a test checks the list)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
DISTINCT_SHARE = 4  # a column with more distinct values than rows / 4 is read vectorised


class Declined(Exception):
    """The fast path cannot read this file exactly; the row reader will."""


def text_type(array: pa.Array) -> None:
    kind = array.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise Declined(f"a text column of type {kind}")


def is_string(array: pa.Array) -> bool:
    """A column of text (a dictionary of texts included, see ``_decoded``)."""
    kind = array.type
    return pa.types.is_string(kind.value_type if pa.types.is_dictionary(kind) else kind)


def matches_per_row(array: pa.Array, function: Any, pattern: str) -> np.ndarray:
    """``function(array, pattern)`` (a pyarrow.compute string predicate) per row, null as False;
    for a dictionary array once per distinct value."""
    if pa.types.is_dictionary(array.type):
        return true_flags(function(array.dictionary, pattern))[numpy_values(array.indices)]
    return true_flags(function(array, pattern))


def distinct_ids(array: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Per row an index into the distinct values (None for an empty cell), and those values."""
    if pa.types.is_null(array.type):  # a column without a single value
        return np.zeros(len(array), dtype=np.int64), [None]
    encoded = array if pa.types.is_dictionary(array.type) else \
        pc.dictionary_encode(array, null_encoding="encode")
    return numpy_values(encoded.indices).astype(np.int64), encoded.dictionary.to_pylist()


_NUMPY_TYPES: dict[pa.DataType, type] = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64}


def numpy_values(array: pa.Array) -> np.ndarray:
    """The values of an array of numbers or booleans, read-only; a null's slot holds anything
    (see ``valid_mask``)."""
    if pa.types.is_boolean(array.type):
        return bitmap_bits(array.buffers()[1], array.offset, len(array))
    dtype = np.dtype(_NUMPY_TYPES[array.type])
    if not len(array):
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                         offset=array.offset * dtype.itemsize)


def valid_mask(array: pa.Array) -> np.ndarray:
    """Which values are not null."""
    if not array.null_count:
        return np.ones(len(array), dtype=bool)
    return bitmap_bits(array.buffers()[0], array.offset, len(array))


def true_flags(array: pa.Array) -> np.ndarray:
    """A boolean array, null as False."""
    values = numpy_values(array)
    return values & valid_mask(array) if array.null_count else values


def bitmap_bits(buffer: pa.Buffer | None, offset: int, length: int) -> np.ndarray:
    """``length`` bits of an Arrow bitmap (least significant bit first) from bit ``offset``."""
    if not length:
        return np.zeros(0, dtype=bool)
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8),  # type: ignore[arg-type]
                         count=offset + length, bitorder="little")
    return bits[offset:].view(bool)


def buffer_of(values: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.ascontiguousarray(values))


def rows_at(array: pa.Array, kept: np.ndarray) -> pa.Array:
    """``array`` at the ascending positions ``kept``: a slice (no copy) when they follow on."""
    if len(kept) == len(array):
        return array
    if not len(kept) or kept[-1] - kept[0] + 1 == len(kept):
        return array.slice(int(kept[0]) if len(kept) else 0, len(kept))
    positions = pa.Array.from_buffers(pa.int64(), len(kept), [None, buffer_of(kept.astype(np.int64))])
    return array.take(positions)


def text_array(values: list[str]) -> pa.Array:
    """``pa.array(values, pa.string())``, built from its buffers."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    whole = pa.Array.from_buffers(pa.large_string(), len(encoded),
                                  [None, buffer_of(offsets), pa.py_buffer(b"".join(encoded))])
    return whole.cast(pa.string())
