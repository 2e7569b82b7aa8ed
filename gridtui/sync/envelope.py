"""The sync file: one UTF-8 JSON object whose events are encrypted for one worker.

    {"format": "gridtui-sync/2", "worker": "W01", "device": "a1b2c3d4", "created": "<ISO time>",
     "nonce": "<base64>", "sealed": "<base64>"}

``sealed`` is AES-256-GCM, under a key derived from the worker's enrolment key (HKDF), of the JSON
object ``{"events": [...], "ack": {...}}``; the four header fields are its associated data, so a
file that was altered anywhere, or sealed for another worker, does not open. Files of the first
format (``gridtui-sync/1``: events in clear, signed with HMAC) are still read, never written.

Reading never raises on bad input: it returns the reason, so one bad file is reported and skipped
while the others go on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import crypto
from ..atomic import TEMP_SUFFIX, write_atomic
from ..events import share_strings

FORMAT = "gridtui-sync/2"
FORMAT_V1 = "gridtui-sync/1"  # events in clear, HMAC-signed: read for files written before encryption
HEADER = ("format", "worker", "device", "created")
# ~200k events; anything bigger is not a worker's day of visits (base64 makes /2 a third bigger)
MAX_FILE_BYTES = 96 * 1024 * 1024

# Sync tools write a file under a temporary name, then rename it: such a file is still arriving.
_TEMP_PATTERNS = (
    re.compile(r"^\.syncthing\..*\.tmp$"),
    re.compile(r"^~syncthing~.*\.tmp$"),
    re.compile(r"^\..*" + re.escape(TEMP_SUFFIX) + r"$"),
)


def canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(worker: str, device: str, created: str, events: list[dict], key: str, **extra: object) -> bytes:
    """A /2 file: ``events`` and ``extra`` (the office's ``ack``) encrypted for ``worker``."""
    head = {"format": FORMAT, "worker": worker, "device": device, "created": created}
    nonce, sealed = crypto.Cipher(crypto.sync_key(key)).seal_raw(_dump({"events": events, **extra}), canonical(head))
    return _dump({**head, "nonce": base64.b64encode(nonce).decode("ascii"),
                  "sealed": base64.b64encode(sealed).decode("ascii")})


# --- the first format, read only --------------------------------------------------------------------


def sign(obj: dict, key: str) -> str:
    body = {k: v for k, v in obj.items() if k != "hmac"}
    return hmac.new(key.encode("utf-8"), canonical(body), hashlib.sha256).hexdigest()


def seal_v1(worker: str, device: str, created: str, events: list[dict], key: str, **extra: object) -> bytes:
    """A /1 file, as gridtui wrote before encryption (kept to test that the merge still reads them)."""
    obj = {"format": FORMAT_V1, "worker": worker, "device": device, "created": created, "events": events, **extra}
    obj["hmac"] = sign(obj, key)
    return _dump(obj)


# --- reading ----------------------------------------------------------------------------------------


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def is_temp_name(name: str) -> bool:
    return any(p.match(name) for p in _TEMP_PATTERNS)


@dataclass
class Opened:
    """A sync file read from disk: the object if it parsed, else why not (an i18n key + args).

    For a /2 file the object holds the header and the still-sealed payload until :func:`unseal`.
    """

    obj: dict | None = None
    reason: str | None = None
    args: dict | None = None
    retry: bool = False  # a half-copied file: try again next time, never delete it


_FIELDS = {
    FORMAT: (("worker", str), ("device", str), ("nonce", str), ("sealed", str)),
    FORMAT_V1: (("worker", str), ("device", str), ("events", list), ("hmac", str)),
}


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
    fields = _FIELDS.get(obj.get("format"))
    if fields is None:
        return Opened(reason="sync.bad_format", args={"format": str(obj.get("format"))[:40]})
    for field, kind in fields:
        if not isinstance(obj.get(field), kind):
            return Opened(reason="sync.bad_envelope", args={"field": field})
    if obj["format"] == FORMAT_V1:
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


def unseal(obj: dict, key: str) -> tuple[dict | None, str | None]:
    """The whole file (header, events, ack) if it is ``key``'s worker's and unaltered; else why not."""
    if obj.get("format") == FORMAT_V1:
        ok = hmac.compare_digest(sign(obj, key), obj.get("hmac", ""))
        return (obj, None) if ok else (None, "sync.bad_signature")
    head = {k: obj.get(k) for k in HEADER}
    try:
        nonce = base64.b64decode(obj["nonce"], validate=True)
        sealed = base64.b64decode(obj["sealed"], validate=True)
    except (binascii.Error, ValueError):
        return None, "sync.bad_signature"
    try:
        plain = crypto.Cipher(crypto.sync_key(key)).open_raw(nonce, sealed, canonical(head))
    except crypto.Tampered:
        return None, "sync.bad_signature"
    try:
        payload = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "sync.bad_payload"
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return None, "sync.bad_payload"
    share_strings(e for e in payload["events"] if isinstance(e, dict))
    # Only the header says who wrote the file: it is what the key and the associated data vouch for.
    whole = {**head, "events": payload["events"]}
    if "ack" in payload:
        whole["ack"] = payload["ack"]
    return whole, None
