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
import hashlib
import json
import re
from dataclasses import dataclass

from .. import crypto, jsonbytes
from ..events import share_strings

FORMAT = "gridtui-sync/3"
FORMAT_V2 = "gridtui-sync/2"  # sealed under the worker's key alone: read until V2_UNTIL, written by older laptops
FORMAT_V1 = "gridtui-sync/1"  # events in clear: written before encryption, refused since
V2_UNTIL = "2027-06-30"  # after this day (office's date) the merge refuses /2 files: every laptop is on /3
HEADER = ("format", "worker", "device", "created")
ENVELOPE = frozenset(HEADER + ("nonce", "sealed"))
# /3 from a worker's device adds the device's public signing key, the sender's ephemeral X25519 key
# (both in the associated data) and the signature.
HEADER_TO_OFFICE = HEADER + ("device_key", "epk", "own")
ENVELOPE_TO_OFFICE = frozenset(HEADER_TO_OFFICE + ("nonce", "sealed", "sig"))
_FORMATS = {FORMAT: (ENVELOPE, ENVELOPE_TO_OFFICE), FORMAT_V2: (ENVELOPE,)}
# ~200k events; anything bigger is not a worker's day of visits (base64 makes /2 a third bigger)
MAX_FILE_BYTES = 96 * 1024 * 1024
_MAX_HEADER_CHARS = 64  # worker, device and created are short; the office's terminal shows them
_MAX_DIGITS = 19  # a clock stamp in ms has 13; a bigger number is an attack on the parser




def canonical(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _close(more: dict | None) -> bytes:
    """The end of a JSON object written in parts: ``more``'s members, then the brace."""
    return b"," + jsonbytes.dumps(more)[1:] if more else b"}"


def _file(fields: dict, sealed: bytes, after: dict | None = None) -> bytes:
    """The file's JSON: ``fields``, then ``"sealed"`` (base64), then ``after``. The ciphertext is
    most of the file: written straight in (base64 needs no JSON escaping) rather than handed to the
    JSON encoder, which would scan megabytes of it for characters to escape."""
    return jsonbytes.dumps(fields)[:-1] + b',"sealed":"' + base64.b64encode(sealed) + b'"' + _close(after)


def seal(worker: str, device: str, created: str, events: list[dict], key: str, **extra: object) -> bytes:
    """A /2 file: ``events`` and ``extra`` (the office's ``ack``) encrypted for ``worker``."""
    head = {"format": FORMAT_V2, "worker": worker, "device": device, "created": created}
    nonce, sealed = crypto.Cipher(crypto.sync_key(key)).seal_raw(jsonbytes.dumps({"events": events, **extra}), canonical(head))
    return _file({**head, "nonce": _b64e(nonce)}, sealed)


def dump_events(events: list[dict]) -> bytes:
    """Events as the payload holds them: publish writes a grid's once for all its workers."""
    return jsonbytes.dumps(events)


def seal_to_worker(worker: str, created: str, events: list[dict] | bytes, key: str, **extra: object) -> bytes:
    """A /3 file from the office to ``worker``: sealed under a key derived from theirs for this direction.
    ``events`` may come as :func:`dump_events` made them."""
    head = {"format": FORMAT, "worker": worker, "device": "office", "created": created}
    listed = events if isinstance(events, bytes) else dump_events(events)
    payload = b'{"events":' + listed + _close(extra)
    nonce, sealed = crypto.Cipher(crypto.to_worker_key(key)).seal_raw(payload, canonical(head))
    return _file({**head, "nonce": _b64e(nonce)}, sealed)


def seal_to_office(worker: str, device: str, created: str, events: list[dict], key: str, office_public: bytes,
                   device_private: bytes, device_public: bytes) -> bytes:
    """A /3 file from a worker's device: sealed to the office's public key and the worker's key,
    signed with the device's own key (the signature covers the header, nonce and ciphertext)."""
    return seal_payload_to_office(worker, device, created, jsonbytes.dumps({"events": events}), key, office_public,
                                  device_private, device_public)


def seal_payload_to_office(worker: str, device: str, created: str, payload: bytes, key: str, office_public: bytes,
                           device_private: bytes, device_public: bytes) -> bytes:
    """:func:`seal_to_office` of payload bytes as given (tests seal what no app would write)."""
    eph_private, eph_public = crypto.new_box_key()
    aes = crypto.to_office_key(key, crypto.box_shared(eph_private, office_public))
    # The same file key sealed for the device itself, so a laptop that lost part of its store can take
    # back what it had sent from its own file (only that laptop holds the key to this copy).
    own_nonce, own = crypto.Cipher(crypto.own_copy_key(device_private)).seal_raw(aes)
    head = {"format": FORMAT, "worker": worker, "device": device, "created": created,
            "device_key": _b64e(device_public), "epk": _b64e(eph_public), "own": _b64e(own_nonce + own)}
    aad = canonical(head)
    nonce, sealed = crypto.Cipher(aes).seal_raw(payload, aad)
    sig = crypto.sign(device_private, _signed(aad, nonce, sealed))
    return _file({**head, "nonce": _b64e(nonce)}, sealed, {"sig": _b64e(sig)})


def open_own(obj: dict, device_private: bytes) -> dict | None:
    """A device's own /3 file, opened with its own key (no office key needed); None if not its own."""
    if "own" not in obj:
        return None
    head = {k: obj.get(k) for k in HEADER_TO_OFFICE}
    try:
        own = base64.b64decode(obj["own"], validate=True)
        aes = crypto.Cipher(crypto.own_copy_key(device_private)).open_raw(own[:crypto.NONCE_BYTES],
                                                                          own[crypto.NONCE_BYTES:])
        plain = crypto.Cipher(aes).open_raw(base64.b64decode(obj["nonce"], validate=True), _b64(obj["sealed"]),
                                            canonical(head))
        payload = loads_payload(plain)
    except (binascii.Error, ValueError, TypeError, crypto.Tampered):
        return None
    if type(payload) is not dict or type(payload.get("events")) is not list:
        return None
    return {**head, "events": payload["events"]}


def _signed(aad: bytes, nonce: bytes, sealed: bytes) -> bytes:
    """What a device signs: a digest of all the file says (hashed in pieces: the ciphertext is big)."""
    digest = hashlib.sha256()
    for part in (len(aad).to_bytes(4, "big"), aad, nonce, sealed):
        digest.update(part)
    return digest.digest()


# --- reading ----------------------------------------------------------------------------------------




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
    if obj["format"] not in _FORMATS:
        return _other_format(obj["format"])
    shapes = _FORMATS[obj["format"]]
    shape = next((f for f in shapes if set(obj) | {"sealed"} == f), max(shapes, key=len))
    for field in sorted(shape):
        if field != "sealed" and type(obj.get(field)) is not str:
            return Opened(reason="sync.bad_envelope", args={"field": field})
    if "sealed" not in obj:
        return Opened(reason="sync.bad_envelope", args={"field": "sealed"})
    extra = sorted(set(obj) - shape)
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


_EVENTS_OPEN, _EVENTS_CLOSE = b'{"events":[', b"]}"
_EVENT_START = re.compile(rb'\{"id":"')


def event_spans(plain: bytes, count: int) -> list[tuple[int, int]] | None:
    """Where in a payload each of its ``count`` events was parsed from, if the payload is written
    as the app writes it (``{"events":[...]}``, compact, each event's ``id`` first); else None.

    Only for events that passed :func:`gridtui.rules.problem`: then nothing in an event but its
    start reads ``{"id":"`` (no field is named ``id``, and a string's quotes are escaped; UTF-8
    never makes those bytes of anything else), so ``count`` such starts, the first right after the
    bracket and each next right after a comma, are every event's, and each event's bytes run to the
    comma before the next. Parsed again, each gives the very event parsed from the payload: the
    office writes those bytes rather than encode the events anew (a tenth of a merge's time).
    """
    if not (plain.startswith(_EVENTS_OPEN) and plain.endswith(_EVENTS_CLOSE)):
        return None
    start, end = len(_EVENTS_OPEN), len(plain) - len(_EVENTS_CLOSE)
    starts = [m.start() for m in _EVENT_START.finditer(plain, start, end)]
    if len(starts) != count or (starts[0] != start if starts else start != end):
        return None
    comma = ord(",")
    if any(plain[at - 1] != comma for at in starts[1:]):
        return None
    return list(zip(starts, [at - 1 for at in starts[1:]] + [end]))


def _b64(text: str | memoryview) -> bytes:
    """Strict base64, without copying a view first (the sealed text can be 96 MB)."""
    if isinstance(text, str):
        return base64.b64decode(text, validate=True)
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except TypeError:  # Python 3.10 has no strict mode; a stray character then fails the GCM tag instead
        return binascii.a2b_base64(text)


def unseal(obj: dict, key: str, consume: bool = False, office_private: bytes | None = None,
           keep_plain: bool = False) -> tuple[dict | None, str | None]:
    """The whole file (header, events, ack) if it is ``key``'s worker's and unaltered; else why not.

    A /3 file from a device also needs the office's private key, and its signature must be the
    device's (the header's ``device_key``: whether that is the device's own is the merge's check).
    With ``consume`` the envelope lets go of its sealed text once decoded, so the file's bytes can
    be freed before the payload is decrypted (the merge: one file's worth of memory, not three).
    With ``keep_plain`` the payload's bytes are kept too, as ``plain`` (see :func:`event_spans`).
    """
    to_office = "sig" in obj
    head = {k: obj.get(k) for k in (HEADER_TO_OFFICE if to_office else HEADER)}
    try:
        nonce = base64.b64decode(obj["nonce"], validate=True)
        sealed = _b64(obj["sealed"])
        if to_office:
            sig, device_key, epk = (base64.b64decode(obj[f], validate=True) for f in ("sig", "device_key", "epk"))
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None, "sync.bad_signature"
    finally:
        if consume:
            obj["sealed"] = None
    if len(nonce) != crypto.NONCE_BYTES:
        return None, "sync.bad_signature"
    aad = canonical(head)
    try:
        if not to_office:
            aes = crypto.sync_key(key) if obj.get("format") == FORMAT_V2 else crypto.to_worker_key(key)
        elif office_private is None or not crypto.verify(device_key, sig, _signed(aad, nonce, sealed)):
            return None, "sync.bad_signature"
        else:
            aes = crypto.to_office_key(key, crypto.box_shared(office_private, epk))
        plain = crypto.Cipher(aes).open_raw(nonce, sealed, aad)
    except crypto.Tampered:
        return None, "sync.bad_signature"
    del sealed
    try:
        payload = loads_payload(plain)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None, "sync.bad_payload"
    if (type(payload) is not dict or type(payload.get("events")) is not list
            or not {"events", "ack", "status", "office_key"}.issuperset(payload)
            or type(payload.get("ack", {})) is not dict or type(payload.get("office_key", "")) is not str
            or payload.get("status", "disabled") not in ("disabled", "rekeyed")):
        return None, "sync.bad_payload"
    share_strings(e for e in payload["events"] if type(e) is dict)
    # Only the header says who wrote the file: it is what the key and the associated data vouch for.
    whole = {**head, "events": payload["events"]}
    # ack, and office_key: the office's public key, to which the worker's laptops seal what they send;
    # status: the notice a disabled worker, or a replaced key, gets
    for extra in ("ack", "status", "office_key"):
        if extra in payload:
            whole[extra] = payload[extra]
    if keep_plain:
        whole["plain"] = plain
    return whole, None
