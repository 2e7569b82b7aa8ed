"""Office report speed: `office report` and `office needs` end to end on a ~200k-event office store.

    python benchmarks/bench_report.py [--events 200000] [--runs 3] [--profile]

Builds a community of 20 grids, 200 buildings and 20,000 households with demogen (plus filler
visits to reach --events), writes it with Store.create, then runs each command as a fresh
`python -m gridtui.cli` process: the time is the process's wall time (interpreter start-up and
loading the store included), the peak RSS is that process's own (os.wait4). Target on a 2-core
box: ≤ 3 s each. --profile adds a cProfile of one `office report` run, by phase and by function.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
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
from gridtui.home import office_store  # noqa: E402
from gridtui.roster import roster_events  # noqa: E402
from gridtui.store import Store  # noqa: E402
from gridtui import vault  # noqa: E402
from benchutil import BENCH_PIN, PEAK  # noqa: E402

PERIOD = ["--since", "2026-08-20", "--until", "2026-11-20"]
COMMANDS = [
    ("office report", ["office", "report", *PERIOD]),
    ("office report --never-visited --vulnerable", ["office", "report", *PERIOD, "--never-visited", "--vulnerable"]),
    ("office report --format csv", ["office", "report", *PERIOD, "--format", "csv"]),
    ("office report --grid G01", ["office", "report", *PERIOD, "--grid", "G01"]),
    ("office needs", ["office", "needs", *PERIOD]),
    ("office needs --by building --top 30", ["office", "needs", *PERIOD, "--by", "building", "--top", "30"]),
]


def build(home: Path, target: int) -> int:
    roster = generate(grids=20, buildings=200, households=20000, months=3)
    events = roster_events(roster)
    households = [h for h in roster["households"] if not h.get("moved_out")]
    grid_worker = {g["id"]: g["worker"] for g in roster["grids"]}
    building_grid = {b["id"]: b["grid"] for b in roster["buildings"]}
    # Filler: more door knocks in the same three months, spread over every household and worker.
    start = dt.datetime(2026, 8, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for i in range(max(0, target - len(events))):
        h = households[(i * 7919) % len(households)]
        worker = grid_worker[building_grid[h["building"]]]
        at = start + dt.timedelta(minutes=(i * 37) % (92 * 24 * 60))
        iso = at.isoformat(timespec="seconds")
        events.append(make_event([int(at.timestamp() * 1000), i % 1000], f"bench-{worker}", worker, "visit",
                                 f"VX{i:07d}", "create", {"household": h["id"], "mode": "door", "outcome": "met",
                                                          "note": "老人身体状况良好，叮嘱注意保暖", "at": iso,
                                                          "worker": worker}))
    Store.create(office_store(home), {"office": True, "community": roster["community"]["name"]}, events,
                 pin=BENCH_PIN).close()
    return len(events)


def _unlock(folder: Path):  # noqa: ANN202
    return vault.unlock(folder, BENCH_PIN)


# The CLI itself, reporting its own peak memory on the way out (see benchutil.PEAK).
_CLI_CHILD = PEAK + """
import atexit, sys
atexit.register(lambda: sys.stderr.write(f"\\nPEAK_KB {peak_kb()}\\n"))
from gridtui.cli import main
sys.argv[0] = "gridtui"
main()
"""


def run(home: Path, args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KB) of one CLI process; its output is checked, not shown."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDTUI_PIN": BENCH_PIN}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _CLI_CHILD, "--home", str(home), *args],
                                stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{args} failed: {err.read().decode('utf-8', 'replace')}")
        out.seek(0)
        if not out.read().strip():
            raise SystemExit(f"{args} printed nothing")
        err.seek(0)
        peak = int(err.read().decode("utf-8", "replace").rsplit("PEAK_KB ", 1)[1].split()[0])
    return wall, usage.ru_utime + usage.ru_stime, peak


def profile(home: Path) -> None:
    """Where one `office report` spends its time, with the garbage collector paused as the CLI does:
    phases timed plainly, then a cProfile of the same work by function (cumulative)."""
    import gc

    from gridtui import views
    from gridtui import report
    from gridtui.office.commands import open_office

    since, until = dt.date(2026, 8, 20), dt.date(2026, 11, 20)
    for paused in (False, True):
        if paused:
            gc.disable()
        t0 = time.perf_counter()
        with open_office(home, _unlock) as store:
            t1 = time.perf_counter()
            report.summary(store.state, since, until)
            t2 = time.perf_counter()
            report.summary(store.state, since, until, grid="G01")
            t3 = time.perf_counter()
            report.needs(store.state, since, until)
            t4 = time.perf_counter()
        del store
        views.drop_index()
        gc.enable()
        print(f"\nin one process, GC {'paused' if paused else 'on    '}: open + load + fold {t1 - t0:.2f} s · "
              f"summary (community; builds the index) {t2 - t1:.2f} s · summary (one grid) {(t3 - t2) * 1000:.0f} ms"
              f" · needs {(t4 - t3) * 1000:.0f} ms")
    gc.disable()
    prof = cProfile.Profile()
    prof.enable()
    with open_office(home, _unlock) as store:
        report.summary(store.state, since, until)
    prof.disable()
    del store
    views.drop_index()
    gc.enable()
    stats = pstats.Stats(prof)
    wanted = {("storage.py", "_load"): "read + json.loads of the segments", ("events.py", "share_strings"):
              "share_strings (intern)", ("events.py", "fold"): "fold (sort + State.apply)",
              ("store.py", "_latest_stamp"): "Store._latest_stamp", ("report.py", "summary"): "report.summary",
              ("views.py", "index"): "  of which views.index"}
    print("\ncProfile (GC paused; profiler overhead included) of open + summary, cumulative seconds:")
    total = max(v[3] for v in stats.stats.values())
    for (path, _, func), (_, _, _, cum, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][3]):
        label = wanted.get((Path(path).name, func))
        if label:
            print(f"  {label:<38}{cum:>7.2f} s")
    print(f"  {'total':<38}{total:>7.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        n = build(home, args.events)
        size = sum(p.stat().st_size for p in office_store(home).glob("events-*.json"))
        print(f"built an office store of {n:,} events ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        print(f"{'command':<44}{'wall (median)':>14}{'CPU':>8}{'peak RSS':>10}")
        print("-" * 76)
        for name, argv in COMMANDS:
            results = [run(home, argv) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rss = max(r[2] for r in results)
            print(f"{name:<44}{wall:>12.2f} s{cpu:>6.2f} s{rss / 1024:>7.0f} MB")
        if args.profile:
            profile(home)


if __name__ == "__main__":
    main()
