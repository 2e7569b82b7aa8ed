"""Office merge speed: 200 worker files × 1,000 events, then a re-merge with nothing changed.

    python benchmarks/bench_merge.py [--files 200] [--events 1000]

Prints a table. Targets on a 2-core box: merge ≤ 10 s and ≤ 500 MB; re-merge ≤ 1 s.
Each merge runs in a fresh process, so its time includes opening the office store and its
peak RSS is the merge's own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridtui.demogen import generate  # noqa: E402
from gridtui.events import make_event  # noqa: E402
from gridtui.home import office_store  # noqa: E402
from gridtui.office.commands import init, publish  # noqa: E402
from gridtui.office.ledger import Ledger  # noqa: E402
from gridtui.store import Store  # noqa: E402
from gridtui.sync import envelope  # noqa: E402
from gridtui import vault  # noqa: E402
from benchutil import BENCH_PIN, PEAK  # noqa: E402

_CHILD = PEAK + """
import json, sys, time
from pathlib import Path
from gridtui import vault
from gridtui.office.commands import merge_folder
t0 = time.perf_counter()
r = merge_folder(Path(sys.argv[1]), Path(sys.argv[2]), unlock=lambda f: vault.unlock(f, sys.argv[3]))
dt = time.perf_counter() - t0
print(json.dumps({"s": dt, "rss_kb": peak_kb(),
                  "taken": len(r.taken), "new": r.new_events, "unchanged": r.unchanged, "skipped": len(r.skipped)}))
"""


def _worker_file(worker: str, device: str, key: str, households: list[str], n: int, base_ms: int) -> bytes:
    events = []
    for i in range(n // 2):
        hid = households[i % len(households)]
        ms = base_ms + i * 60_000
        vid, fid = f"V{device}{i}", f"F{device}{i}"
        at = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ms / 1000))
        events.append(make_event([ms, 0], device, worker, "visit", vid, "create",
                                 {"household": hid, "mode": "door", "outcome": "met", "note": "老人身体状况良好，叮嘱注意保暖",
                                  "at": at, "worker": worker}))
        events.append(make_event([ms, 1], device, worker, "finding", fid, "create",
                                 {"role": "safety", "category": "ebike_charging", "asked": "楼道内电动车飞线充电",
                                  "action": "当场劝导拆除飞线", "triage": "routine", "due": None, "visit": vid,
                                  "household": hid, "at": at, "status": "open"}))
    return envelope.seal(worker, device, "2026-11-25T18:00:00+08:00", events, key)


def build(tmp: Path, files: int, per_file: int) -> tuple[Path, Path]:
    grids = max(1, files // 4)
    roster = generate(grids=grids, buildings=grids * 2, households=grids * 40, months=1)
    roster_path = tmp / "roster.json"
    roster_path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    home, shared = tmp / "office", tmp / "shared"
    shared.mkdir()
    init(home, roster_path, new_pin=lambda: BENCH_PIN)
    unlock = lambda f: vault.unlock(f, BENCH_PIN)  # noqa: E731
    with Store.open(office_store(home), unlock=unlock) as store, Ledger.open(store) as ledger:
        by_grid: dict[str, list[str]] = {}
        for hid, h in store.state.entities["household"].items():
            by_grid.setdefault(store.state.entities["building"][h["building"]]["grid"], []).append(hid)
        grid_ids = sorted(by_grid)
        base_ms = int(time.time() * 1000) - 30 * 86_400_000
        for i in range(files):
            worker, grid = f"W{i:03d}", grid_ids[i % len(grid_ids)]
            key = ledger.enroll(worker, f"网格员{i}", grid)
            folder = shared / "to-office" / worker
            folder.mkdir(parents=True)
            (folder / f"d{i:04d}.json").write_bytes(
                _worker_file(worker, f"d{i:04d}", key, sorted(by_grid[grid]), per_file, base_ms))
    return home, shared


def run_merge(home: Path, shared: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(home), str(shared), BENCH_PIN], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--events", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        home, shared = build(Path(tmp), args.files, args.events)
        size = sum(p.stat().st_size for p in (shared / "to-office").rglob("*.json"))
        print(f"built {args.files} files × {args.events} events ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        first = run_merge(home, shared)
        again = run_merge(home, shared)
        publish_t0 = time.perf_counter()
        publish(home, shared, unlock=lambda f: vault.unlock(f, BENCH_PIN))
        publish_s = time.perf_counter() - publish_t0
    rows = [
        ("merge (first)", f"{first['s']:.2f} s", f"{first['rss_kb'] / 1024:.0f} MB",
         f"taken {first['taken']}, new {first['new']:,}, skipped {first['skipped']}"),
        ("re-merge (nothing changed)", f"{again['s']:.2f} s", f"{again['rss_kb'] / 1024:.0f} MB",
         f"unchanged {again['unchanged']}, new {again['new']}"),
        ("publish (all workers)", f"{publish_s:.2f} s", "", ""),
    ]
    print(f"{'measure':<28}{'time':>10}{'peak RSS':>10}  result")
    print("-" * 80)
    for name, t, rss, note in rows:
        print(f"{name:<28}{t:>10}{rss:>10}  {note}")


if __name__ == "__main__":
    main()
