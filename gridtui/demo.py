"""Training mode: a store per demo worker, built from demo_data.json, never the real one."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from importlib import resources
from pathlib import Path

from .home import training_store
from .lock import StoreLock
from .roster import roster_events
from .store import Store

DEFAULT_WORKER = "W01"


def demo_data_path() -> Path:
    packaged = resources.files("gridtui") / "demo_data.json"
    if packaged.is_file():
        return Path(str(packaged))
    # Running from a source checkout: the file lives at the top of the repository.
    return Path(__file__).resolve().parent.parent / "demo_data.json"


def load_demo_data() -> dict:
    return json.loads(demo_data_path().read_text(encoding="utf-8"))


class UnknownWorker(ValueError):
    def __init__(self, worker: str, known: list[str]) -> None:
        super().__init__(worker)
        self.worker = worker
        self.known = known


def open_training(home: Path, worker: str = DEFAULT_WORKER, *, reset: bool = False,
                  today: dt.date | None = None, **store_kw) -> Store:
    """Open the training store of ``worker``, building it from the demo data if new or reset."""
    folder = training_store(home, worker)
    if Store.exists(folder) and not reset:
        return Store.open(folder, **store_kw)
    store_kw.pop("readonly", None)  # a new training store is written first
    data = load_demo_data()
    workers = {w["id"]: w for w in data["workers"]}
    if worker not in workers:
        raise UnknownWorker(worker, sorted(workers))
    if folder.exists():
        with StoreLock(folder):  # never pull the data out from under a running copy
            for p in [*folder.glob("*.json"), *folder.glob("events-*.log")]:
                p.unlink()
    today = today or dt.date.today()
    shift = (today - dt.date.fromisoformat(data["as_of"])).days
    grid = workers[worker]["grid"]
    events = roster_events(data, grid=grid, shift_days=shift, training=True)
    meta = {"worker": worker, "grid": grid, "training": True, "community": data["community"]["name"]}
    return Store.create(folder, meta, events, **store_kw)


def clear_training(home: Path) -> None:
    shutil.rmtree(home / "training", ignore_errors=True)
