"""Keeping the ledger true, timed: a quarterly roster import and a whole-stairwell visit.

    python benchmarks/bench_roster.py [--events 200000] [--runs 3]

1. `office roster import` of a 20,000-household roster (300 new, 500 changed, 200 gone) against a
   ~200k-event office store (bench_report's community). Floor, in the same run: opening the store
   (decrypt + parse + fold) and reading the roster file — what any diff must do first. Printed: the
   diff alone, the whole command as a fresh process, and the ratio to the floor. Goal: diff ≤ 3 s.
2. A 24-household stairwell visit (Store.record_visits) beside one visit (record_visit) in the same
   worker store of 5,000 households. Goal: ≤ 2× one visit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report import _unlock, build, run  # noqa: E402
from benchutil import BENCH_PIN  # noqa: E402
from gridtui import rosterdiff  # noqa: E402
from gridtui.demogen import generate  # noqa: E402
from gridtui.home import real_store  # noqa: E402
from gridtui.office.commands import open_office  # noqa: E402
from gridtui.office.roster_csv import load_roster  # noqa: E402
from gridtui.roster import roster_events  # noqa: E402
from gridtui.store import Store  # noqa: E402


def quarter(path: Path) -> dict:
    """This quarter's roster: the same community, 500 phones changed, 200 gone, 300 new doors."""
    roster = generate(grids=20, buildings=200, households=20000, months=3)
    hs = [h for h in roster["households"] if not h.get("moved_out")]
    for h in hs[:500]:
        h["phone"] = "139" + h["phone"][3:][::-1]
    gone = {h["id"] for h in hs[500:700]}
    roster["households"] = [h for h in roster["households"] if h["id"] not in gone]
    for i in range(300):
        base = hs[1000 + i]
        roster["households"].append({**base, "id": f"HQ{i:04d}", "room": f"9{i:03d}", "floor": 9, "head": "新住户"})
    roster["visits"], roster["wishes"] = [], []
    path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    return roster


def bench_import(base: Path, events: int, runs: int) -> None:
    home = base / "office"
    n = build(home, events)
    roster_file = base / "2026Q4.json"
    quarter(roster_file)
    floors, diffs = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        with open_office(home, _unlock, readonly=True) as store:
            data = load_roster(roster_file)
            t1 = time.perf_counter()
            d = rosterdiff.diff(store.state, data)
            t2 = time.perf_counter()
        floors.append(t1 - t0)
        diffs.append(t2 - t1)
    print(f"office store: {n:,} events · roster: 20,000 households "
          f"(new {len(d.new)}, changed {len(d.changed)}, moved out {len(d.moved_out)})")
    floor, diff = statistics.median(floors), statistics.median(diffs)
    walls = [run(home, ["office", "roster", "import", str(roster_file)])[0] for _ in range(runs)]
    wall = statistics.median(walls)
    print(f"  floor (open + decrypt + fold the store, read the roster)  {floor:6.2f} s")
    print(f"  the diff itself                                           {diff:6.2f} s   (goal ≤ 3 s)")
    print(f"  `gridtui office roster import` as a fresh process         {wall:6.2f} s   "
          f"{wall / floor:.2f}× the floor")


def bench_stairwell(base: Path, runs: int) -> None:
    roster = generate(grids=1, buildings=60, households=5000, months=3)
    grid = roster["grids"][0]["id"]
    Store.create(real_store(base / "laptop"), {"worker": roster["grids"][0]["worker"], "grid": grid},
                 roster_events(roster, grid=grid), pin=BENCH_PIN).close()
    from bench_report import _unlock as unlock

    store = Store.open(real_store(base / "laptop"), unlock=unlock)
    try:
        homes = [h["id"] for h in roster["households"] if not h.get("moved_out")]
        finding = {"role": "publicity", "category": "anti_fraud", "asked": "发放反诈宣传单"}
        one, many = [], []
        for r in range(runs * 3):
            t0 = time.perf_counter()
            store.record_visit({"household": homes[r], "outcome": "met", "findings": [finding]})
            one.append(time.perf_counter() - t0)
            group = homes[100 + 24 * r: 124 + 24 * r]
            t0 = time.perf_counter()
            store.record_visits([{"household": h, "outcome": "met", "findings": [finding]} for h in group])
            many.append(time.perf_counter() - t0)
    finally:
        store.close()
    a, b = statistics.median(one), statistics.median(many)
    print(f"worker store: 5,000 households · {store.event_count:,} events")
    print(f"  one visit saved            {a * 1000:7.1f} ms")
    print(f"  24-household stairwell     {b * 1000:7.1f} ms   {b / a:.2f}× one visit (goal ≤ 2×)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_stairwell(Path(tmp), args.runs)
        bench_import(Path(tmp), args.events, args.runs)


if __name__ == "__main__":
    main()
