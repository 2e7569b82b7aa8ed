"""JSON as gridtui writes it to disk and into sync files: compact UTF-8 bytes, CJK as is."""

from __future__ import annotations

import json

# One encoder for every write (json.dumps with arguments makes a new one each call). Not checked
# for cycles: what is written is parsed JSON or plain dicts and lists built for it, and the check
# was a tenth of encoding a merge's 200,000 events.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def dumps(obj: object) -> bytes:
    return _ENCODE(obj).encode("utf-8")
