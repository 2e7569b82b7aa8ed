"""Worker-side speed: cold start to the interactive buildings screen, time to save one visit, peak RSS.

    python benchmarks/bench_worker.py

Prints a table. Targets on a 2-core box: start ≤ 0.5 s (demo grid), save ≤ 30 ms at 10k events,
RSS ≤ 80 MB. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridtui.demogen import generate  # noqa: E402
from gridtui.events import make_event  # noqa: E402
from gridtui.roster import roster_events  # noqa: E402
from gridtui.store import Store  # noqa: E402
from benchutil import PEAK  # noqa: E402

# The child opens a store and runs the app headless until its buildings screen is ready, then
# reports the peak RSS; the parent times it from process start, interpreter start-up included.
_STARTUP_CHILD = PEAK + """
import sys
from gridtui.store import Store
from gridtui.tui.app import GridApp
store = Store.open(sys.argv[1])
class Bench(GridApp):
    def on_ready(self):
        self.call_after_refresh(self.exit)
Bench(store).run(headless=True, size=(80, 24))
store.close()
print(peak_kb())
"""


def _make_store(folder: Path, roster: dict, grid: str) -> Path:
    worker = next(w["id"] for w in roster["workers"] if w["grid"] == grid)
    Store.create(folder, {"worker": worker, "grid": grid}, roster_events(roster, grid=grid)).close()
    return folder


def startup(folder: Path, runs: int = 5) -> tuple[float, float, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, rss = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _STARTUP_CHILD, str(folder)], capture_output=True, text=True,
                             env=env, check=True)
        times.append(time.perf_counter() - t0)
        rss = max(rss, int(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times), min(times), rss


def _filler(n: int) -> list[dict]:
    return [
        make_event([1_700_000_000_000 + i, 0], "bench", "W01", "visit", f"V{i}", "create",
                   {"household": f"H{i % 500}", "mode": "door", "outcome": "met", "note": "老人身体状况良好，叮嘱注意保暖",
                    "at": "2026-10-01T10:00:00+08:00", "worker": "W01"})
        for i in range(n)
    ]


def save_time(folder: Path, n_events: int, runs: int = 15) -> float:
    roster = generate(grids=1, buildings=4, households=200, months=1)
    Store.create(folder, {"worker": "W01", "grid": "G01"}, roster_events(roster, grid="G01") + _filler(n_events)).close()
    s = Store.open(folder)
    hid = next(iter(s.state.entities["household"]))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.record_visit({"household": hid, "outcome": "met",
                        "findings": [{"role": "safety", "category": "gas", "asked": "燃气软管老化"}]})
        times.append(time.perf_counter() - t0)
    s.close()
    return statistics.median(times)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        demo = json.loads((ROOT / "demo_data.json").read_text(encoding="utf-8"))
        for label, roster in (("demo grid G01", demo),
                              ("5,000 households", generate(grids=1, buildings=60, households=5000))):
            folder = _make_store(tmp / label.replace(" ", "_").replace(",", ""), roster, "G01")
            s = Store.open(folder)
            n = s.event_count
            s.close()
            med, best, rss = startup(folder)
            rows.append((f"cold start: {label} ({n:,} events)", f"{med * 1000:.0f} ms (best {best * 1000:.0f})",
                         f"{rss / 1024:.0f} MB"))
        for n in (1_000, 10_000, 50_000):
            t = save_time(tmp / f"save{n}", n)
            rows.append((f"save one visit: {n:,} events", f"{t * 1000:.1f} ms", ""))
    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'time':>22}  {'peak RSS':>9}")
    print("-" * (w + 35))
    for name, t, rss in rows:
        print(f"{name:<{w}}  {t:>22}  {rss:>9}")


if __name__ == "__main__":
    main()
