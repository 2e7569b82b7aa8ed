"""Authenticated encryption and key derivation, with no files in sight.

- :class:`Cipher` seals bytes with AES-256-GCM (``cryptography``): a sealed blob that was altered,
  cut, moved to another file name or sealed under another key does not open.
- :func:`derive_pin_key` turns a PIN or passphrase into a key with scrypt, which costs memory as well
  as time, so guessing PINs on a graphics card is slow too; :func:`calibrate` picks its cost so this
  machine takes about :data:`TARGET_SECONDS`.
- :func:`sync_key` turns a worker's enrolment key (random, 192 bits) into the AES key of their sync
  files; it needs no slow KDF because the enrolment key is not guessable.
"""

from __future__ import annotations

import hashlib
import os
import time

MAGIC = b"gridtui-enc/1\n"  # first bytes of every sealed file: tells it from plain JSON at a glance
NONCE_BYTES = 12
KEY_BYTES = 32

# scrypt: r=8, p=1 as recommended; N is calibrated per machine between these powers of two.
SCRYPT_R = 8
SCRYPT_P = 1
MIN_LOG_N = 14  # 16 MB: below this a PIN falls too fast to guessing
MAX_LOG_N = 16  # 64 MB: a cheap laptop with little memory must still unlock, and the app stay small
TARGET_SECONDS = 0.25  # half the 0.5 s budget, leaving room for slower days and reading the store


class Tampered(Exception):
    """A sealed blob did not authenticate: altered, truncated, or sealed under another key."""


class Cipher:
    """AES-256-GCM with a fresh random nonce per seal; ``aad`` binds a blob to where it belongs."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("key must be 32 bytes")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # not needed by training mode

        self.key = key
        self._aead = AESGCM(key)

    def seal(self, data: bytes, aad: bytes = b"") -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, aad)

    def open(self, blob: bytes, aad: bytes = b"") -> bytes:
        if not is_sealed(blob):
            raise Tampered("not a sealed blob")
        body = blob[len(MAGIC):]
        return self.open_raw(body[:NONCE_BYTES], body[NONCE_BYTES:], aad)

    def seal_raw(self, data: bytes, aad: bytes = b"") -> tuple[bytes, bytes]:
        """(nonce, ciphertext) without the file magic, for formats that carry them in their own fields."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, data, aad)

    def open_raw(self, nonce: bytes, ct: bytes, aad: bytes = b"") -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(nonce, ct, aad)
        except (InvalidTag, ValueError):
            raise Tampered("does not authenticate") from None


def is_sealed(raw: bytes) -> bool:
    return raw.startswith(MAGIC)


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def derive_pin_key(pin: str, salt: bytes, log_n: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P,
                          maxmem=256 * SCRYPT_R * n, dklen=KEY_BYTES)


def calibrate(target: float = TARGET_SECONDS) -> int:
    """The scrypt cost (log2 N) that takes about ``target`` seconds here, within the safe bounds."""
    probe = 12
    best = min(_time_scrypt(probe) for _ in range(2))  # scrypt's time is linear in N
    log_n = probe
    while log_n < MAX_LOG_N and best * 2 ** (log_n + 1 - probe) <= target:
        log_n += 1
    return max(MIN_LOG_N, log_n)


def _time_scrypt(log_n: int) -> float:
    start = time.perf_counter()
    derive_pin_key("calibrate", b"\0" * 16, log_n)
    return time.perf_counter() - start


def sync_key(worker_key: str) -> bytes:
    """The AES key of a worker's sync files, from their enrolment key (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=b"gridtui-sync/2").derive(worker_key.encode("utf-8"))


# --- sync/3: sealed to the office's public key, signed by the device ------------------------------------
# A worker's enrolment key alone then opens only what the office sends that worker: what their
# laptops send is sealed to the office's X25519 key (only the office reads it) and signed with the
# device's own Ed25519 key (only that laptop writes it).


def new_box_key() -> tuple[bytes, bytes]:
    """An X25519 key pair: (private, public), raw 32 bytes each."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    private = X25519PrivateKey.generate()
    return _raw_private(private), _raw_public(private.public_key())


def new_signing_key() -> tuple[bytes, bytes]:
    """An Ed25519 key pair: (private, public), raw 32 bytes each."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    return _raw_private(private), _raw_public(private.public_key())


def _raw_private(key) -> bytes:  # noqa: ANN001
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def _raw_public(key) -> bytes:  # noqa: ANN001
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def box_shared(private: bytes, public: bytes) -> bytes:
    """X25519: the secret two key pairs share. Raises Tampered for a key that is not one."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    try:
        return X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:
        raise Tampered("not an X25519 key") from None


def sign(private: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private).sign(data)


def verify(public: bytes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def hkdf(ikm: bytes, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(ikm)


def to_office_key(worker_key: str, shared: bytes) -> bytes:
    """The AES key of a /3 to-office file: the X25519 secret with the office, and the worker's key —
    so a file needs both the worker's key (nobody else can send) and the office's private key to open."""
    return hkdf(shared + hkdf(worker_key.encode("utf-8"), b"gridtui-sync/3 worker to-office"),
                b"gridtui-sync/3 to-office")


def to_worker_key(worker_key: str) -> bytes:
    """The AES key of a /3 to-worker file: derived apart from the to-office key."""
    return hkdf(worker_key.encode("utf-8"), b"gridtui-sync/3 to-worker")


def own_copy_key(device_private: bytes) -> bytes:
    """The key of the copy of a /3 file's key that its own device keeps: from the device's private key."""
    return hkdf(device_private, b"gridtui-sync/3 own copy")
