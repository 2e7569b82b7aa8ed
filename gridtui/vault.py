"""The key of a store folder, kept under the user's PIN: ``key.json`` beside the data.

A store's files are sealed with one random data key. ``key.json`` holds that key sealed under a key
derived from the PIN (scrypt, salted, cost calibrated on this machine), so changing the PIN rewrites
only ``key.json`` and never the data::

    {"format": "gridtui-key/1", "kdf": "scrypt", "log_n": 16, "r": 8, "p": 1,
     "salt": "<base64>", "wrapped": "<base64 of the sealed data key>", "migrating": false}

``unlock.json`` counts wrong PINs: after :data:`FREE_TRIES` of them, each further try must wait
longer. It slows a person at the keyboard; the scrypt cost is what slows a thief with a copy. It
carries a random mark that the store keeps sealed, so deleting or swapping it shows (:func:`epoch`).
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Callable

from . import crypto
from .atomic import ensure_private_dir, write_atomic
from .errors import UserError

KEY_FILE = "key.json"
TRIES_FILE = "unlock.json"
FORMAT = "gridtui-key/1"
MIN_PIN = 6
FREE_TRIES = 5
FIRST_WAIT_S = 30
MAX_WAIT_S = 15 * 60
_WRAP_AAD = FORMAT.encode()

# Tests set this to a small cost so thousands of stores do not each take a quarter second.
FIXED_LOG_N: int | None = None

Unlock = Callable[[Path], crypto.Cipher]  # asks for the PIN of the store in a folder; returns its cipher


class WrongPin(UserError):
    def __init__(self, left: int) -> None:
        super().__init__("pin.wrong", left=left)


class PinWait(UserError):
    def __init__(self, seconds: int) -> None:
        super().__init__("pin.wait", seconds=seconds)


class Locked(UserError):
    """A protected store was opened without a way to ask for its PIN."""

    def __init__(self) -> None:
        super().__init__("pin.locked")


def is_protected(folder: Path) -> bool:
    return (Path(folder) / KEY_FILE).exists()


def check_new_pin(pin: str, office: bool = False) -> None:
    """Refuse a PIN too short or too common (see gridtui.pinrules); the office's must be longer."""
    from .pinrules import problem

    found = problem(pin, office)
    if found is not None:
        raise UserError(found[0], **found[1])


# --- key.json ---------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _wrap(dek: bytes, pin: str, migrating: bool = False) -> dict:
    log_n = FIXED_LOG_N or crypto.calibrate()
    salt = os.urandom(16)
    kek = crypto.Cipher(crypto.derive_pin_key(pin, salt, log_n))
    return {"format": FORMAT, "kdf": "scrypt", "log_n": log_n, "r": crypto.SCRYPT_R, "p": crypto.SCRYPT_P,
            "salt": _b64(salt), "wrapped": _b64(kek.seal(dek, _WRAP_AAD)), "migrating": migrating}


def _write_key(folder: Path, record: dict) -> None:
    write_atomic(Path(folder) / KEY_FILE, json.dumps(record, indent=1).encode("utf-8"))


def read_key(folder: Path) -> dict:
    from .storage import DamagedFile

    path = Path(folder) / KEY_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or record.get("kdf") != "scrypt":
            raise ValueError("unknown key format")
        base64.b64decode(record["salt"], validate=True), base64.b64decode(record["wrapped"], validate=True)
        int(record["log_n"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise DamagedFile(path, str(exc)) from None
    return record


def _unwrap(record: dict, pin: str) -> bytes:
    if record["r"] != crypto.SCRYPT_R or record["p"] != crypto.SCRYPT_P or not 10 <= record["log_n"] <= 22:
        from .storage import DamagedFile

        raise DamagedFile(Path(KEY_FILE), "unexpected scrypt parameters")
    kek = crypto.Cipher(crypto.derive_pin_key(pin, base64.b64decode(record["salt"]), record["log_n"]))
    return kek.open(base64.b64decode(record["wrapped"]), _WRAP_AAD)


def create(folder: Path, pin: str) -> crypto.Cipher:
    """Give a new (empty) store folder a fresh data key under ``pin``."""
    check_new_pin(pin)
    ensure_private_dir(folder)
    dek = crypto.random_key()
    _write_key(folder, _wrap(dek, pin))
    return crypto.Cipher(dek)


# --- wrong tries --------------------------------------------------------------------------------------


def _tries(folder: Path) -> dict:
    try:
        data = json.loads((Path(folder) / TRIES_FILE).read_text(encoding="utf-8"))
        return {"failures": int(data["failures"]), "last": float(data["last"]), "epoch": data.get("epoch")}
    except (OSError, ValueError, KeyError, TypeError):
        return {"failures": 0, "last": 0.0, "epoch": None}


def epoch(folder: Path) -> str | None:
    """The random mark of the wrong-PIN record. The store keeps a sealed copy after each unlock, so a
    record deleted or replaced (to escape the waits) shows at the next unlock: tamper-evident."""
    return _tries(folder)["epoch"]


def new_epoch(folder: Path) -> str:
    mark = base64.b32encode(os.urandom(10)).decode("ascii")
    write_atomic(Path(folder) / TRIES_FILE, json.dumps({"failures": 0, "last": 0.0, "epoch": mark}).encode("utf-8"))
    return mark


def wait_seconds(failures: int) -> int:
    """How long after the last wrong PIN the next try must wait."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_TRIES))


def _note_tries(folder: Path, failures: int, at: float, mark: str | None) -> None:
    record = {"failures": failures, "last": at if failures else 0.0, "epoch": mark}
    write_atomic(Path(folder) / TRIES_FILE, json.dumps(record).encode("utf-8"))


def unlock(folder: Path, pin: str, now: Callable[[], float] = time.time) -> crypto.Cipher:
    """The store's cipher, if ``pin`` is right; wrong PINs are counted and slowed down."""
    record = read_key(folder)
    tries = _tries(folder)
    wait = tries["last"] + wait_seconds(tries["failures"]) - now()
    if wait > 0:
        raise PinWait(int(wait) + 1)
    try:
        dek = _unwrap(record, pin)
    except crypto.Tampered:
        failures = tries["failures"] + 1
        _note_tries(folder, failures, now(), tries["epoch"])
        raise WrongPin(max(0, FREE_TRIES - failures)) from None
    if tries["failures"]:
        _note_tries(folder, 0, now(), tries["epoch"])
    return crypto.Cipher(dek)


def change_pin(folder: Path, cipher: crypto.Cipher, new_pin: str) -> None:
    """Re-wrap the data key (from an unlocked ``cipher``) under ``new_pin``; the data is not touched."""
    check_new_pin(new_pin)
    _write_key(folder, _wrap(cipher.key, new_pin))


# --- protecting a store that was written before encryption --------------------------------------------

# Files in a store folder that are not data: the key itself, the try counter and the lock's owner.
_NOT_DATA = frozenset({KEY_FILE, TRIES_FILE})
Transform = Callable[[str, bytes], bytes]  # (file name, plain bytes) → plain bytes to seal


def data_files(folder: Path) -> list[Path]:
    return sorted([*(p for p in Path(folder).glob("*.json") if p.name not in _NOT_DATA), *Path(folder).glob("*.log")])


def protect(folder: Path, pin: str, transform: Transform | None = None) -> crypto.Cipher:
    """Encrypt a plain store in place under a new PIN.

    ``key.json`` is written first, marked ``migrating``; a run cut short is finished after the next
    unlock by :func:`finish_protecting`, which seals whatever is still plain. Files are sealed one
    by one, atomically.
    """
    check_new_pin(pin)
    dek = crypto.random_key()
    record = _wrap(dek, pin, migrating=True)
    _write_key(folder, record)
    cipher = crypto.Cipher(dek)
    _seal_plain_files(folder, cipher, transform)
    _write_key(folder, {**record, "migrating": False})
    return cipher


def is_migrating(folder: Path) -> bool:
    return bool(read_key(folder).get("migrating"))


def finish_protecting(folder: Path, cipher: crypto.Cipher, transform: Transform | None = None) -> None:
    _seal_plain_files(folder, cipher, transform)
    _write_key(folder, {**read_key(folder), "migrating": False})


def _seal_plain_files(folder: Path, cipher: crypto.Cipher, transform: Transform | None) -> None:
    from .storage import LogStorage, log_is_plain, rewrite_log

    for path in data_files(folder):
        if path.suffix == ".log":  # sealed record by record: rewritten as one sealed record
            if log_is_plain(path):
                data = LogStorage(path).read() or {}
                if transform:
                    data = json.loads(transform(path.name, json.dumps(data, ensure_ascii=False).encode("utf-8")))
                rewrite_log(path, data, cipher)
            continue
        raw = path.read_bytes()
        if crypto.is_sealed(raw):
            continue
        if transform:
            raw = transform(path.name, raw)
        write_atomic(path, cipher.seal(raw, path.name.encode("utf-8")))
