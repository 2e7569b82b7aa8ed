"""The office's own bookkeeping beside its event log, in one TinyDB file (office.json):

- ``workers``: enrolled workers with their signing keys (never in the event log, never published);
- ``merged``: content hash of every sync file already merged, so an unchanged folder merges in a blink;
- ``receipts``: when the office received which events, and from which file.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from tinydb import Query, TinyDB

from ..storage import AtomicJSONStorage
from ..sync.merge import WorkerInfo


class Ledger:
    def __init__(self, folder: Path) -> None:
        self.db = TinyDB(Path(folder) / "office.json", storage=AtomicJSONStorage)

    def close(self) -> None:
        self.db.close()

    # --- workers ------------------------------------------------------------------------------

    def enroll(self, worker: str, name: str, grid: str) -> str:
        """Register (or re-register) a worker; a new key each time, so a lost laptop's key dies."""
        key = secrets.token_urlsafe(24)
        self.db.table("workers").upsert(
            {"id": worker, "name": name, "grid": grid, "key": key, "enabled": True}, Query().id == worker
        )
        return key

    def set_enabled(self, worker: str, enabled: bool) -> bool:
        return bool(self.db.table("workers").update({"enabled": enabled}, Query().id == worker))

    def workers(self) -> dict[str, WorkerInfo]:
        return {
            w["id"]: WorkerInfo(w["id"], w["key"], w["grid"], w.get("enabled", True))
            for w in self.db.table("workers").all()
        }

    # --- merged files ---------------------------------------------------------------------------

    def merged_digests(self) -> set[str]:
        return {d["digest"] for d in self.db.table("merged").all()}

    # One write per table for the whole merge: each TinyDB write rewrites the file.

    def record_receipts(self, received: dict[str, list[str]], at: str) -> None:
        self.db.table("receipts").insert_multiple(
            {"file": f, "at": at, "ids": ids} for f, ids in received.items() if ids
        )

    def record_digests(self, digests: dict[str, str], at: str) -> None:
        self.db.table("merged").insert_multiple({"file": f, "digest": d, "at": at} for f, d in digests.items())

    def received_at(self) -> dict[str, str]:
        """When the office first received each event (a merge cut short may have noted it twice)."""
        out: dict[str, str] = {}
        for r in self.db.table("receipts").all():
            for i in r["ids"]:
                out.setdefault(i, r["at"])
        return out
