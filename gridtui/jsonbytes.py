"""JSON as gridtui writes it to disk and into sync files: compact UTF-8 bytes, CJK as is."""

from __future__ import annotations

import json
from array import array
from typing import Iterable

# One encoder for every write (json.dumps with arguments makes a new one each call). Not checked
# for cycles: what is written is parsed JSON or plain dicts and lists built for it, and the check
# was a tenth of encoding a merge's 200,000 events.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_ENCODE = _ENCODER.encode
# JSONEncoder.encode also builds its C encoder anew on every call (a save, and each of a merge's
# 200,000 events): one is kept instead, giving the same output (checked at import, else encode is used).
_c_make = getattr(json.encoder, "c_make_encoder", None)
_C = _c_make(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True) \
    if _c_make is not None else None


def _encode_one(obj: object) -> str:
    return "".join(_C(obj, 0))


_PROBE = {"a": [1, 2.5, None, True], "中": "文\n\"", "n": {}}
_ONE = _encode_one if _C is not None and _encode_one(_PROBE) == _ENCODE(_PROBE) else _ENCODE


def dumps(obj: object) -> bytes:
    return _ONE(obj).encode("utf-8")


class Many:
    """Many objects' JSON, each as :func:`dumps` makes it, in one buffer (``many[i]`` is a view of
    the i-th). One allocation, given back whole when dropped: a merge's 200,000 small bytes objects
    would instead leave the allocator's pools fragmented under the fold that comes after."""

    def __init__(self, objs: Iterable[object] = ()) -> None:
        buf, ends = bytearray(), array("Q")
        one = _ONE
        for o in objs:
            buf += one(o).encode("utf-8")
            ends.append(len(buf))
        self._view: memoryview | None = memoryview(buf)
        self._lo, self._hi = array("Q", [0]) + ends[:-1], ends

    @classmethod
    def over(cls, buf: bytes | bytearray, starts: array, ends: array) -> "Many":
        """Objects' JSON as the caller has it already: ``buf[starts[i]:ends[i]]`` for each (the very
        bytes each was parsed from), not copied."""
        many = cls()
        many._view, many._lo, many._hi = memoryview(buf), starts, ends
        return many

    def __len__(self) -> int:
        return len(self._hi)

    def __getitem__(self, i: int) -> memoryview:
        return self._view[self._lo[i]:self._hi[i]]  # type: ignore[index]

    def span(self, start: int, end: int) -> list[memoryview]:
        return [self[i] for i in range(start, min(end, len(self)))]

    def clear(self) -> None:
        self._view, self._lo, self._hi = None, array("Q"), array("Q")
