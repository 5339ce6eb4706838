"""Safe encoding of the values that cross the trusted/untrusted boundary.

Only plain data crosses: ``None``, booleans, numbers, strings, lists, tuples,
dicts with string keys, numeric NumPy arrays and scalars. Arrays travel as
``np.save`` bytes written and read with ``allow_pickle=False``; nothing is ever
unpickled and no class named by the other side is ever instantiated. Two tags
carry callables *by reference*: ``__fn__`` names a function of the student's
namespace, ``__callback__`` numbers a trusted callable the grader keeps.

This module is imported by both sides (the untrusted sandbox too), so it uses
only the standard library and NumPy.
"""

from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np

MAX_DEPTH = 32
MAX_MESSAGE = 64 * 1024 * 1024  # bytes of one framed message
_NUMERIC_KINDS = "biufc"


class CodecError(ValueError):
    """A value cannot cross the boundary (wrong type, too deep, too large)."""


class ContentError(CodecError):
    """A whole frame was read but its content is not a message (not JSON, nested too deeply).

    The channel is still in step after this error: only the message is lost.
    """


def encode(value, *, fn_name=None, callback_id=None, _depth=0):
    """Turn ``value`` into JSON-able data (see module docstring)."""
    if _depth > MAX_DEPTH:
        raise CodecError("value nested too deeply to be graded")
    enc = lambda v: encode(v, fn_name=fn_name, callback_id=callback_id, _depth=_depth + 1)  # noqa: E731
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise CodecError(f"NumPy scalar of dtype {arr.dtype} cannot be graded")
        return {"__npscalar__": _array_to_text(arr)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"__bigint__": str(value)}
    if isinstance(value, float):
        return value
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise CodecError(f"array of dtype {value.dtype} cannot be graded (numbers only)")
        return {"__ndarray__": _array_to_text(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [enc(v) for v in value]}
    if isinstance(value, list):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise CodecError(f"dict key {k!r} is not a string")
            items.append([k, enc(v)])
        return {"__dict__": items}
    if fn_name is not None:
        name = fn_name(value)
        if name is not None:
            return {"__fn__": name}
    if callback_id is not None and callable(value):
        return {"__callback__": callback_id(value)}
    raise CodecError(f"a value of type {type(value).__name__} cannot be graded")


def decode(data, *, resolve_fn=None, resolve_callback=None, _depth=0):
    """Inverse of :func:`encode`; refuses anything it does not know."""
    if _depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    dec = lambda v: decode(v, resolve_fn=resolve_fn, resolve_callback=resolve_callback, _depth=_depth + 1)  # noqa: E731
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [dec(v) for v in data]
    if isinstance(data, dict) and len(data) == 1:
        (tag, payload), = data.items()
        if tag == "__tuple__" and isinstance(payload, list):
            return tuple(dec(v) for v in payload)
        if tag == "__dict__" and isinstance(payload, list):
            out = {}
            for item in payload:
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise CodecError("malformed dict")
                out[item[0]] = dec(item[1])
            return out
        if tag == "__ndarray__" and isinstance(payload, str):
            return _text_to_array(payload)
        if tag == "__npscalar__" and isinstance(payload, str):
            return _text_to_array(payload)[()]
        if tag == "__complex__" and isinstance(payload, list) and len(payload) == 2:
            return complex(float(payload[0]), float(payload[1]))
        if tag == "__bigint__" and isinstance(payload, str):
            return int(payload)
        if tag == "__fn__" and isinstance(payload, str) and resolve_fn is not None:
            return resolve_fn(payload)
        if tag == "__callback__" and isinstance(payload, int) and resolve_callback is not None:
            return resolve_callback(payload)
    raise CodecError("malformed value")


def _array_to_text(arr):
    buf = io.BytesIO()
    np.save(buf, arr if arr.flags.c_contiguous else np.ascontiguousarray(arr), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _text_to_array(text):
    arr = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise CodecError(f"array of dtype {arr.dtype} refused")
    return arr


# -- framing: 8-byte big-endian length, then UTF-8 JSON ---------------------

def dumps(message) -> bytes:
    body = json.dumps(message, allow_nan=True).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise CodecError(f"message of {len(body)} bytes is too large")
    return struct.pack(">Q", len(body)) + body


def write_message(fd: int, message) -> None:
    import os

    data = dumps(message)
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int, deadline=None) -> bytes:
    """Read exactly ``n`` bytes from ``fd``; ``deadline`` is a ``time.monotonic`` value or None."""
    import os
    import select
    import time

    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError("no answer in time")
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_message(fd: int, deadline=None):
    (length,) = struct.unpack(">Q", read_exact(fd, 8, deadline))
    if length > MAX_MESSAGE:
        raise CodecError(f"message of {length} bytes is too large")
    body = read_exact(fd, length, deadline)
    try:
        message = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise ContentError("message nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentError(f"message is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise ContentError("malformed message")
    if _depth_exceeds(message, MAX_DEPTH * 3 + 16):  # a plain-data level is up to 3 JSON levels
        raise ContentError("message nested too deeply")
    return message


def _depth_exceeds(value, limit) -> bool:
    """True if ``value`` nests deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False
