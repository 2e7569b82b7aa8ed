"""JSON as gridtui writes it to disk and into sync files: compact UTF-8 bytes, CJK as is."""

from __future__ import annotations

import json
from array import array
from typing import Iterable

# One encoder for every write (json.dumps with arguments makes a new one each call). Not checked
# for cycles: what is written is parsed JSON or plain dicts and lists built for it, and the check
# was a tenth of encoding a merge's 200,000 events.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def dumps(obj: object) -> bytes:
    return _ENCODE(obj).encode("utf-8")


class Many:
    """Many objects' JSON, each as :func:`dumps` makes it, in one buffer (``many[i]`` is a view of
    the i-th). One allocation, given back whole when dropped: a merge's 200,000 small bytes objects
    would instead leave the allocator's pools fragmented under the fold that comes after."""

    def __init__(self, objs: Iterable[object]) -> None:
        buf, ends = bytearray(), array("Q")
        for o in objs:
            buf += _ENCODE(o).encode("utf-8")
            ends.append(len(buf))
        self._ends = ends
        self._view: memoryview | None = memoryview(buf)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> memoryview:
        return self._view[self._ends[i - 1] if i else 0:self._ends[i]]  # type: ignore[index]

    def span(self, start: int, end: int) -> list[memoryview]:
        return [self[i] for i in range(start, min(end, len(self)))]

    def clear(self) -> None:
        self._view, self._ends = None, array("Q")
