"""The office's own bookkeeping beside its event log, in one TinyDB file (office.json), sealed
like the rest of the office store:

- ``workers``: enrolled workers with their sync keys (never in the event log, never published);
- ``merged``: content hash of every sync file already merged, so an unchanged folder merges in a blink;
- ``receipts``: when the office received which events, and from which file — in ``receipts.log``
  beside it, appended to by each merge (it grows with every event ever merged; office.json, read by
  every merge, stays small). Receipts an older gridtui kept in office.json are still read;
- ``exports``: every export that carried sensitive data (``--include-sensitive``): when, where, what;
- ``units``: the units findings are referred to (街道劳动保障所, 物业公司 …), for ``refer --to``.

Every write bumps the file's generation, and the store's manifest records the last one: an older
office.json put back (holding a revoked key, a disabled worker as enabled) is refused on open.
"""

from __future__ import annotations


from tinydb import Query, TinyDB

from ..errors import UserError
from ..sync.merge import WorkerInfo


class RolledBack(UserError):
    """office.json is older than the store says it should be."""


MAX_RETIRED = 5  # old keys remembered per worker (a laptop lost more often than that is a laptop to disable)


class Ledger:
    FILE = "office.json"

    RECEIPTS = "receipts.log"

    def __init__(self, db: TinyDB, store=None) -> None:  # noqa: ANN001 - gridtui.store.Store
        self.db = db  # opened by the store, so it is sealed with the store's key
        self._store = store
        self._receipts: TinyDB | None = None

    @classmethod
    def open(cls, store) -> "Ledger":  # noqa: ANN001 - gridtui.store.Store (store imports nothing of ours)
        """The office store's ledger, refused if it is an older copy than the last one written."""
        db = store.db(cls.FILE, counted=True)
        found = db.storage.generation
        expected = (store.meta.get("manifest") or {}).get("ledger", 0)
        if found < expected:
            db.close()
            raise RolledBack("office.ledger_rolled_back", found=found, expected=expected)
        db.storage.on_write = store.note_ledger
        return cls(db, store)

    def close(self) -> None:
        self.db.close()
        if self._receipts is not None:
            self._receipts.close()

    def _receipt_log(self) -> TinyDB:
        if self._receipts is None:
            self._receipts = self._store.db(self.RECEIPTS)
        return self._receipts

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- workers ------------------------------------------------------------------------------

    def enroll(self, worker: str, name: str, grid: str) -> str:
        """Register a worker (or restore a disabled one) with a new key, so an old laptop's key stays dead."""
        key = new_key()
        self.db.table("workers").upsert(
            {"id": worker, "name": name, "grid": grid, "key": key, "enabled": True}, Query().id == worker
        )
        return key

    def move(self, worker: str, name: str, grid: str) -> None:
        """An enrolled worker takes another grid; their key (and laptop) keep working."""
        self.db.table("workers").update({"name": name, "grid": grid}, Query().id == worker)

    def rekey(self, worker: str) -> str | None:
        """A new key for an enrolled worker, who keeps their grid and enabled state; None if unknown.
        The old key is kept as retired: its files are named as such, and its laptop is told."""
        found = self.db.table("workers").get(Query().id == worker)
        if found is None:
            return None
        key = new_key()
        retired = [*found.get("retired", ()), found["key"]][-MAX_RETIRED:]
        self.db.table("workers").update({"key": key, "retired": retired}, Query().id == worker)
        return key

    def set_enabled(self, worker: str, enabled: bool) -> bool:
        return bool(self.db.table("workers").update({"enabled": enabled}, Query().id == worker))

    def workers(self) -> dict[str, WorkerInfo]:
        return {
            w["id"]: WorkerInfo(w["id"], w["key"], w["grid"], w.get("enabled", True), tuple(w.get("retired", ())))
            for w in self.db.table("workers").all()
        }

    # --- devices: each /3 laptop's signing key, bound to its worker on first sight ------------------

    def device_keys(self) -> dict[str, str]:
        return {d["device"]: d["key"] for d in self.db.table("devices").all()}

    def bind_devices(self, bindings: dict[str, tuple[str, str]], at: str) -> None:
        if bindings:
            self.db.table("devices").insert_multiple(
                {"device": dev, "worker": w, "key": key, "at": at} for dev, (w, key) in bindings.items())

    # --- merged files ---------------------------------------------------------------------------

    def merged_digests(self) -> set[str]:
        return {d["digest"] for d in self.db.table("merged").all()}

    # One write per table for the whole merge: each TinyDB write rewrites the file.

    def record_receipts(self, received: dict[str, list[str]], at: str) -> None:
        rows = [{"file": f, "at": at, "ids": ids} for f, ids in received.items() if ids]
        if rows:
            self._receipt_log().table("receipts").insert_multiple(rows)

    def record_digests(self, digests: dict[str, str], at: str) -> None:
        self.db.table("merged").insert_multiple({"file": f, "digest": d, "at": at} for f, d in digests.items())

    def received_at(self) -> dict[str, str]:
        """When the office first received each event (a merge cut short may have noted it twice)."""
        out: dict[str, str] = {}
        older = self.db.table("receipts").all() if "receipts" in self.db.tables() else []
        for r in [*older, *self._receipt_log().table("receipts").all()]:
            for i in r["ids"]:
                out.setdefault(i, r["at"])
        return out

    # --- exports of sensitive data ------------------------------------------------------------------

    def record_export(self, entry: dict) -> None:
        self.db.table("exports").insert(entry)

    def exports(self) -> list[dict]:
        return self.db.table("exports").all()


    # --- referral units ------------------------------------------------------------------------------

    def units(self) -> list[str]:
        return sorted(u["name"] for u in self.db.table("units").all())

    def add_units(self, names: list[str], at: str) -> list[str]:
        """Add the names not listed yet (in one write); returns those added."""
        have = set(self.units())
        new = [n for n in dict.fromkeys(names) if n not in have]
        if new:
            self.db.table("units").insert_multiple({"name": n, "added": at} for n in new)
        return new


def new_key() -> str:
    from ..keys import new_key as fresh

    return fresh()
