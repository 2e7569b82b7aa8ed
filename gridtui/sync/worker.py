"""The worker's side of sync: join the office (setup), then send my events and take the office's.

A device writes only ``to-office/<worker>/<device>.json`` — all the events it authored, every time —
so two machines never write the same path and the office can always rebuild from what is there.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import rules, safefs
from ..errors import UserError
from ..home import load_config, real_store, save_config
from ..store import Store
from ..vault import Unlock
from . import envelope, folder


class SyncError(UserError):
    """Sync could not run."""


@dataclass
class SyncResult:
    sent: int = 0  # events in my file
    received: int = 0  # new events from the office
    refused: int = 0  # office events whose id I hold with other content (mine kept)
    unsynced: int = 0  # my events the office has not acknowledged yet
    office_file: str | None = None  # why the office's file was not read (i18n key), if it was not
    worker: str = ""


def _office_file(shared: Path, worker: str, key: str) -> tuple[dict | None, str | None]:
    """The office's file for ``worker``, opened, or why not (an i18n key)."""
    try:
        raw = folder.read(folder.to_worker(shared, worker))
    except FileNotFoundError:
        return None, "sync.no_office_file"
    except safefs.Unreadable as exc:
        return None, exc.reason
    opened = envelope.parse(raw)
    del raw
    if opened.obj is None:
        return None, opened.reason
    if opened.obj["worker"] != worker:
        return None, "sync.bad_signature"
    if opened.obj["device"] != rules.OFFICE_DEVICE:
        return None, "sync.wrong_direction"  # a worker's own file put where the office's belongs
    return envelope.unseal(opened.obj, key)


def _take_office_events(store: Store, obj: dict) -> tuple[int, int]:
    """Add the office's events I do not have; my own unsynced events are never touched.

    Each event passes the same check as everything the store holds; one that does not is refused
    (counted), so a damaged office file cannot leave a value on this laptop that no screen can show.
    """
    have = {e["id"]: e for e in store.iter_events()}
    new, refused = [], 0
    for e in obj["events"]:
        if rules.problem(e) is not None or e.get("train"):
            refused += 1
            continue
        mine = have.get(e["id"])
        if mine is None:
            new.append(e)
            have[e["id"]] = e
        elif envelope.canonical(mine) != envelope.canonical(e):
            refused += 1
    store.append(new)
    ack = (obj.get("ack") or {}).get(store.device)
    if _is_stamp(ack) and ack != store.meta.get("acked_through"):
        store.update_meta(acked_through=ack)
    return len(new), refused


def _is_stamp(v: object) -> bool:
    return type(v) is list and len(v) == 2 and all(type(x) is int and x >= 0 for x in v)


def setup(home: Path, shared: Path, worker: str, key: str, *, new_pin: Callable[[], str], unlock: Unlock) -> dict:
    """Join this laptop to the office: open the office's file for ``worker`` and build the store.

    A new store is encrypted under a PIN from ``new_pin``; an existing one (a new key after
    ``office rekey``) is unlocked with ``unlock``. The key is kept inside the encrypted store.
    """
    shared = folder.require(shared)
    obj, problem = _office_file(shared, worker, key)
    if obj is None:
        raise SyncError(problem or "sync.no_office_file", worker=worker)
    if obj.get("status") == "disabled":
        raise SyncError("sync.disabled_here", worker=worker)
    where = real_store(home)
    if Store.exists(where):
        store = Store.open(where, unlock=unlock, new_pin=new_pin)
        if store.meta.get("worker") != worker:
            store.close()
            raise SyncError("sync.other_worker", worker=store.meta.get("worker"))
    else:
        store = Store.create(where, {"worker": worker}, pin=new_pin())
    with store:
        if store.meta.get("key") != key:
            store.update_meta(key=key)
        if obj.get("office_key"):  # the office's public key, pinned here: what this laptop seals to
            store.update_meta(office_key=obj["office_key"])
        save_config(home, {**_config_without_key(home), "worker": worker, "shared": str(shared.absolute())})
        received, _ = _take_office_events(store, obj)
        grid = store.state.entities["worker"].get(worker, {}).get("grid")
        if grid != store.meta.get("grid"):
            store.update_meta(grid=grid)
        households = len(store.state.entities["household"])
    return {"grid": grid, "households": households, "events": received}


@dataclass
class Outgoing:
    """What one sync sends and where: everything below is plain data, safe to hand to a thread."""

    shared: Path
    worker: str
    key: str
    path: Path
    device: str
    created: str
    events: list[dict]  # a list of its own holding immutable events: safe in another thread
    sent: int
    fingerprint: str  # which events the file holds; unchanged → the file is not rewritten
    unchanged: bool
    digest: str | None  # sha256 of the file as last written: a file damaged since is written again
    office_key: bytes | None = None  # the office's public key: a /3 file (else /2, for an office not updated yet)
    signing: tuple[bytes, bytes] | None = None  # this device's Ed25519 key pair, for /3
    written: str | None = None  # set by exchange: the digest of the file it wrote


def prepare(store: Store, home: Path) -> Outgoing:
    """Gather every event this device authored (needs the store: call it where the store lives)."""
    if store.training:
        raise SyncError("sync.training_store")
    shared, key, worker = load_config(home).get("shared"), store.meta.get("key"), store.meta.get("worker")
    if not shared or not key:
        raise SyncError("sync.not_joined")
    if store.loss:
        # Part of the store was lost: before this device's file on the stick is written again
        # with less, take back what the last one holds (the office's file brings back the rest).
        _recover_own(store, folder.to_office(Path(shared), worker, store.device), worker, key)
    mine = [e for e in store.iter_events() if e["dev"] == store.device]
    office_key = base64.b64decode(store.meta["office_key"]) if store.meta.get("office_key") else None
    fmt = envelope.FORMAT if office_key else envelope.FORMAT_V2
    # A new key (re-enrolment) or format must rewrite the file too; hashed, so the key is not copied.
    last = mine[-1]["id"] if mine else ""
    fingerprint = hashlib.sha256(f"{fmt}:{len(mine)}:{last}:{key}".encode()).hexdigest()[:16]
    path = folder.to_office(Path(shared), worker, store.device)
    unchanged = store.meta.get("sent") == fingerprint
    return Outgoing(Path(shared), worker, key, path, store.device, store.now_iso(), mine, len(mine), fingerprint,
                    unchanged, store.meta.get("sent_digest"), office_key, _signing_key(store) if office_key else None)


def _signing_key(store: Store) -> tuple[bytes, bytes]:
    """This device's Ed25519 key pair, made the first time it sends a /3 file; kept in the sealed store."""
    from .. import crypto

    if not store.meta.get("sign_private"):
        private, public = crypto.new_signing_key()
        store.update_meta(sign_private=base64.b64encode(private).decode(), sign_public=base64.b64encode(public).decode())
    return base64.b64decode(store.meta["sign_private"]), base64.b64decode(store.meta["sign_public"])


def _recover_own(store: Store, path: Path, worker: str, key: str) -> int:
    """Events of this device's own last sync file that the store no longer holds, taken back."""
    try:
        opened = envelope.parse(folder.read(path))
    except (OSError, safefs.Unreadable):
        return 0
    if opened.obj is None or (opened.obj["worker"], opened.obj["device"]) != (worker, store.device):
        return 0
    if "own" in opened.obj:  # /3: sealed to the office, with a copy of its key for this device
        whole = envelope.open_own(opened.obj, _signing_key(store)[0]) if store.meta.get("sign_private") else None
    else:
        whole, _ = envelope.unseal(opened.obj, key)
    if whole is None:
        return 0
    have = {e["id"] for e in store.iter_events()}
    back = [e for e in whole["events"] if rules.problem(e) is None and not e.get("train")
            and e["dev"] == store.device and e["by"] == worker and e["id"] not in have]
    store.append(back)
    return len(back)


def exchange(out: Outgoing) -> tuple[dict | None, str | None]:
    """The slow part, no store needed (a USB stick, a network share): seal and write mine, read the office's."""
    folder.require(out.shared)
    # Rewriting an identical set of events would only make the office read it again.
    if not (out.unchanged and _digest(out.path) == out.digest):
        if out.office_key is not None and out.signing is not None:
            data = envelope.seal_to_office(out.worker, out.device, out.created, out.events, out.key, out.office_key,
                                           *out.signing)
        else:
            data = envelope.seal(out.worker, out.device, out.created, out.events, out.key)
        folder.write(out.shared, out.path, data)
        out.written = hashlib.sha256(data).hexdigest()
    office = _office_file(out.shared, out.worker, out.key)
    if office[1] == "sync.bad_signature":  # not for my key: was my key replaced? the office says so
        notice = _read_notice(folder.key_notice(out.shared, out.worker, out.key), out.worker, out.key)
        if notice is not None:
            return notice, None
    return office


def _read_notice(path: Path, worker: str, key: str) -> dict | None:
    try:
        opened = envelope.parse(folder.read(path))
    except (OSError, safefs.Unreadable):
        return None
    if opened.obj is None or (opened.obj["worker"], opened.obj["device"]) != (worker, rules.OFFICE_DEVICE):
        return None
    whole, _ = envelope.unseal(opened.obj, key)
    return whole if whole is not None and whole.get("status") == "rekeyed" else None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(folder.read(path)).hexdigest()
    except (OSError, safefs.Unreadable):
        return None


def finish(store: Store, out: Outgoing, office: tuple[dict | None, str | None]) -> SyncResult:
    """Take the office's events into the store (call it where the store lives)."""
    obj, problem = office
    if out.written:
        store.update_meta(sent=out.fingerprint, sent_digest=out.written)
    store.update_meta(last_sync=store.now_iso())
    if obj is not None and obj.get("status") == "disabled":
        raise SyncError("sync.disabled_here", worker=out.worker)
    pinned = store.meta.get("office_key")
    if obj is not None and obj.get("office_key") and obj["office_key"] != pinned:
        if pinned:  # the key this laptop seals to must not change under it: someone else's "office"?
            raise SyncError("sync.office_key_changed")
        store.update_meta(office_key=obj["office_key"])  # an office just updated to /3: seal to it from now on
    if obj is not None and obj.get("status") == "rekeyed":
        # The office gave me a new key (a lost laptop, say) and refuses what this laptop sends: say
        # so, rather than "synced".
        raise SyncError("sync.key_replaced", worker=out.worker)
    result = SyncResult(sent=out.sent, office_file=problem, worker=out.worker)
    if obj is not None:
        result.received, result.refused = _take_office_events(store, obj)
        store.clear_loss()  # what the office holds of this grid is back; the rest was never sent
        grid = store.state.entities["worker"].get(out.worker, {}).get("grid")
        if grid and grid != store.meta.get("grid"):
            store.update_meta(grid=grid)  # the office moved this worker to another grid
    result.unsynced = store.unsynced_count()
    return result


def adopt_config_key(store: Store, home: Path) -> None:
    """Move a sync key that an older gridtui left in config.json into the encrypted store."""
    key = load_config(home).get("key")
    if key is None or store.cipher is None:
        return
    if not store.meta.get("key"):
        store.update_meta(key=key)
    save_config(home, _config_without_key(home))


def _config_without_key(home: Path) -> dict:
    # Older gridtui kept the sync key in config.json in clear; it lives in the encrypted store now.
    return {k: v for k, v in load_config(home).items() if k != "key"}


def sync(store: Store, home: Path) -> SyncResult:
    out = prepare(store, home)
    return finish(store, out, exchange(out))


def message(result: SyncResult) -> str:
    """The one-line outcome of a sync, for the command and the app's `s` key alike."""
    from ..i18n import t

    text = t("sync.done", sent=result.sent, received=result.received, unsynced=result.unsynced)
    if result.office_file:
        text += " " + t("sync.office_skipped", reason=t(result.office_file, worker=result.worker, mb=0, format="", field=""))
    return text
