"""The sync file: one UTF-8 JSON object whose events are encrypted for one worker.

    {"format": "gridtui-sync/2", "worker": "W01", "device": "a1b2c3d4", "created": "<ISO time>",
     "nonce": "<base64>", "sealed": "<base64>"}

``sealed`` is AES-256-GCM, under a key derived from the worker's enrolment key (HKDF), of the JSON
object ``{"events": [...], "ack": {...}}``; the four header fields are its associated data, so a
file that was altered anywhere, or sealed for another worker, does not open.

Anyone can drop a file in the shared folder, so reading trusts nothing before the key has spoken:
the envelope must be a flat object of strings (checked on the bytes, before any JSON is built, so a
deeply nested or number-stuffed file costs nothing), and only an authenticated payload is parsed —
with bounded numbers. Reading never raises on bad input: it returns the reason, so one bad file is
reported and skipped while the others go on. Files of the first format (``gridtui-sync/1``, events in
clear) are recognised and refused: they cannot be authenticated before they are parsed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import crypto
from ..atomic import TEMP_SUFFIX, write_atomic
from ..events import share_strings

FORMAT = "gridtui-sync/2"
FORMAT_V1 = "gridtui-sync/1"  # events in clear: written before encryption, refused since
HEADER = ("format", "worker", "device", "created")
ENVELOPE = frozenset(HEADER + ("nonce", "sealed"))
# ~200k events; anything bigger is not a worker's day of visits (base64 makes /2 a third bigger)
MAX_FILE_BYTES = 96 * 1024 * 1024
_MAX_HEADER_CHARS = 64  # worker, device and created are short; the office's terminal shows them
_MAX_DIGITS = 19  # a clock stamp in ms has 13; a bigger number is an attack on the parser

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


# --- reading ----------------------------------------------------------------------------------------


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def is_temp_name(name: str) -> bool:
    return any(p.match(name) for p in _TEMP_PATTERNS)


@dataclass
class Opened:
    """A sync file's envelope read from bytes: the header and the still-sealed payload, else why not
    (an i18n key + args)."""

    obj: dict | None = None
    reason: str | None = None
    args: dict | None = None
    retry: bool = False  # a half-copied file: try again next time, never delete it


def parse(raw: bytes) -> Opened:
    """The envelope of a file, checked on its bytes before anything is built from them.

    An envelope is one flat object of short fields and base64 text: no brackets but its own two
    braces. Counting bytes (fast, in C) rules out every nested or array-stuffed file before the JSON
    parser sees it, so parsing what is left costs no more memory than the file itself.
    """
    if len(raw) > MAX_FILE_BYTES:
        return Opened(reason="sync.too_large", args={"mb": len(raw) // 1_000_000})
    if not raw.strip():
        return Opened(reason="sync.truncated", retry=True)  # created, not yet filled by the copy
    if raw.count(b"{") != 1 or raw.count(b"}") > 1 or b"[" in raw or b"]" in raw:
        return _not_flat(raw)
    # The sealed text is nearly all of a file: lift it out as a view of the bytes, parse the rest.
    span = _sealed_span(raw)
    sealed = memoryview(raw)[span[0]:span[1]] if span else None
    if span:
        raw = raw[:span[0]] + raw[span[1]:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # cut inside a multi-byte character
            return Opened(reason="sync.truncated", retry=True)
        return Opened(reason="sync.not_json")
    try:
        obj = json.loads(text, parse_int=_bounded_int, parse_float=_no_float, parse_constant=_no_float)
    except json.JSONDecodeError as exc:
        if _looks_cut(text, exc):
            return Opened(reason="sync.truncated", retry=True)
        return Opened(reason="sync.not_json")
    except ValueError:  # a number too long
        return Opened(reason="sync.not_json")
    if type(obj) is not dict:
        return Opened(reason="sync.not_json")
    if "format" not in obj:
        return Opened(reason="sync.not_json")
    if obj["format"] != FORMAT:
        return _other_format(obj["format"])
    for field in sorted(ENVELOPE):
        if type(obj.get(field)) is not str:
            return Opened(reason="sync.bad_envelope", args={"field": field})
    extra = sorted(set(obj) - ENVELOPE)
    if extra:
        return Opened(reason="sync.bad_envelope", args={"field": extra[0][:_MAX_HEADER_CHARS]})
    for field in HEADER:
        if len(obj[field]) > _MAX_HEADER_CHARS:
            return Opened(reason="sync.bad_envelope", args={"field": field})
    if sealed is not None:
        obj["sealed"] = sealed
    return Opened(obj=obj)


def _sealed_span(raw: bytes) -> tuple[int, int] | None:
    """Where the value of ``"sealed"`` lies in a flat envelope, found with plain byte searches."""
    at = raw.find(b'"sealed"')
    while at >= 0:
        i = at + len(b'"sealed"')
        while raw[i:i + 1] in (b" ", b"\t", b"\n", b"\r"):
            i += 1
        if raw[i:i + 1] == b":":
            i += 1
            while raw[i:i + 1] in (b" ", b"\t", b"\n", b"\r"):
                i += 1
            if raw[i:i + 1] == b'"':
                end = raw.find(b'"', i + 1)
                # A backslash means escapes, which base64 never has: leave such a file to the parser.
                if end > 0 and raw.find(b"\\", i + 1, end) < 0:
                    return i + 1, end
            return None
        at = raw.find(b'"sealed"', at + 1)
    return None


def _not_flat(raw: bytes) -> Opened:
    """Not an envelope of this format: the first format (events in clear), another, or garbage."""
    found = re.search(rb'"format"\s*:\s*"([A-Za-z0-9./_-]{0,40})"', raw[:4096])
    if found and found.group(1) != FORMAT.encode():
        return _other_format(found.group(1).decode("ascii"))
    return Opened(reason="sync.not_json")


def _other_format(found: object) -> Opened:
    if found == FORMAT_V1:
        return Opened(reason="sync.old_format")
    return Opened(reason="sync.bad_format", args={"format": str(found)[:40]})


def _looks_cut(text: str, exc: json.JSONDecodeError) -> bool:
    """A JSON object that stops short — mid-string or at the end — rather than one that is garbled."""
    if not text.lstrip().startswith("{"):
        return False
    if exc.msg.startswith("Unterminated string"):
        return True
    rest = text[exc.pos:].strip()
    return not rest or (len(rest) < 5 and rest.isalpha())  # at the end, or inside true/false/null


def _bounded_int(digits: str) -> int:
    if len(digits) > _MAX_DIGITS:
        raise ValueError("number too long")
    return int(digits)


def _no_float(text: str) -> float:
    raise ValueError("no fractions in sync data")


def loads_payload(plain: bytes) -> object:
    """JSON from an authenticated payload, with numbers bounded; raises ValueError on anything else."""
    try:
        return json.loads(plain.decode("utf-8"), parse_int=_bounded_int, parse_float=_no_float,
                          parse_constant=_no_float)
    except RecursionError:  # nested deeper than the parser will go
        raise ValueError("nested too deep") from None


def _b64(text: str | memoryview) -> bytes:
    """Strict base64, without copying a view first (the sealed text can be 96 MB)."""
    if isinstance(text, str):
        return base64.b64decode(text, validate=True)
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except TypeError:  # Python 3.10 has no strict mode; a stray character then fails the GCM tag instead
        return binascii.a2b_base64(text)


def unseal(obj: dict, key: str, consume: bool = False) -> tuple[dict | None, str | None]:
    """The whole file (header, events, ack) if it is ``key``'s worker's and unaltered; else why not.

    With ``consume`` the envelope lets go of its sealed text once decoded, so the file's bytes can
    be freed before the payload is decrypted (the merge: one file's worth of memory, not three).
    """
    head = {k: obj.get(k) for k in HEADER}
    try:
        nonce = base64.b64decode(obj["nonce"], validate=True)
        sealed = _b64(obj["sealed"])
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None, "sync.bad_signature"
    finally:
        if consume:
            obj["sealed"] = None
    if len(nonce) != crypto.NONCE_BYTES:
        return None, "sync.bad_signature"
    try:
        plain = crypto.Cipher(crypto.sync_key(key)).open_raw(nonce, sealed, canonical(head))
    except crypto.Tampered:
        return None, "sync.bad_signature"
    del sealed
    try:
        payload = loads_payload(plain)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None, "sync.bad_payload"
    if (type(payload) is not dict or type(payload.get("events")) is not list
            or not {"events", "ack", "status"}.issuperset(payload) or type(payload.get("ack", {})) is not dict
            or payload.get("status", "disabled") not in ("disabled", "rekeyed")):
        return None, "sync.bad_payload"
    share_strings(e for e in payload["events"] if type(e) is dict)
    # Only the header says who wrote the file: it is what the key and the associated data vouch for.
    whole = {**head, "events": payload["events"]}
    for extra in ("ack", "status"):  # status: the notice a disabled worker, or a replaced key, gets
        if extra in payload:
            whole[extra] = payload[extra]
    return whole, None
