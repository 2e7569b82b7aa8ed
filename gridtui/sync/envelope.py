"""The sync file: one UTF-8 JSON object, signed with the worker's key.

    {"format": "gridtui-sync/1", "worker": "W01", "device": "a1b2c3d4", "created": "<ISO time>",
     "events": [...], "ack": {...}  (to-worker files only), "hmac": "<hex>"}

``hmac`` is HMAC-SHA256, keyed by the worker's key as UTF-8 bytes, of the canonical JSON of the
object without ``hmac``. Reading never raises on bad input: it returns the reason, so one bad file
is reported and skipped while the others go on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..atomic import TEMP_SUFFIX, write_atomic
from ..events import share_strings

FORMAT = "gridtui-sync/1"
MAX_FILE_BYTES = 64 * 1024 * 1024  # ~200k events; anything bigger is not a worker's day of visits

# Sync tools write a file under a temporary name, then rename it: such a file is still arriving.
_TEMP_PATTERNS = (
    re.compile(r"^\.syncthing\..*\.tmp$"),
    re.compile(r"^~syncthing~.*\.tmp$"),
    re.compile(r"^\..*" + re.escape(TEMP_SUFFIX) + r"$"),
)


def canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(obj: dict, key: str) -> str:
    body = {k: v for k, v in obj.items() if k != "hmac"}
    return hmac.new(key.encode("utf-8"), canonical(body), hashlib.sha256).hexdigest()


def seal(worker: str, device: str, created: str, events: list[dict], key: str, **extra: object) -> bytes:
    obj = {"format": FORMAT, "worker": worker, "device": device, "created": created, "events": events, **extra}
    obj["hmac"] = sign(obj, key)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def is_temp_name(name: str) -> bool:
    return any(p.match(name) for p in _TEMP_PATTERNS)


@dataclass
class Opened:
    """A sync file read from disk: the object if it parsed, else why not (an i18n key + args)."""

    obj: dict | None = None
    reason: str | None = None
    args: dict | None = None
    retry: bool = False  # a half-copied file: try again next time, never delete it


def parse(raw: bytes) -> Opened:
    if len(raw) > MAX_FILE_BYTES:
        return Opened(reason="sync.too_large", args={"mb": len(raw) // 1_000_000})
    if not raw.strip():
        return Opened(reason="sync.truncated", retry=True)  # created, not yet filled by the copy
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut inside a multi-byte character
            return Opened(reason="sync.truncated", retry=True)
        return Opened(reason="sync.not_json")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if _looks_cut(text, exc):
            return Opened(reason="sync.truncated", retry=True)
        return Opened(reason="sync.not_json")
    if not isinstance(obj, dict):
        return Opened(reason="sync.not_json")
    if obj.get("format") != FORMAT:
        return Opened(reason="sync.bad_format", args={"format": str(obj.get("format"))[:40]})
    for field, kind in (("worker", str), ("device", str), ("events", list), ("hmac", str)):
        if not isinstance(obj.get(field), kind):
            return Opened(reason="sync.bad_envelope", args={"field": field})
    share_strings(e for e in obj["events"] if isinstance(e, dict))
    return Opened(obj=obj)


def _looks_cut(text: str, exc: json.JSONDecodeError) -> bool:
    """A JSON object that stops short — mid-string or at the end — rather than one that is garbled."""
    if not text.lstrip().startswith("{"):
        return False
    if exc.msg.startswith("Unterminated string"):
        return True
    rest = text[exc.pos:].strip()
    return not rest or (len(rest) < 5 and rest.isalpha())  # at the end, or inside true/false/null


def verify(obj: dict, key: str) -> bool:
    return hmac.compare_digest(sign(obj, key), obj.get("hmac", ""))
