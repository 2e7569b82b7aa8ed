"""Office report speed: `office report` and `office needs` end to end on a ~200k-event office store.

    python benchmarks/bench_report.py [--quick] [--json] [--events 200000] [--runs 3] [--profile]

Builds a community of 20 grids, 200 buildings and 20,000 households with demogen (plus filler
visits to reach --events), writes it with Store.create, then runs each command as a fresh
`python -m gridtui.cli` process: the time is the process's wall time (interpreter start-up and
loading the store included), the peak RSS is that process's own. A read that finds no snapshot of
the state (gridtui.snapshot: every office write leaves one, so only after a crash, an upgrade or a
write by an older gridtui) folds the log and leaves one for the reads after it: it is timed on its
own, then every command as it runs after it. Beside each, in turn with it, its
floor: a process that unlocks the store's key and reads, decrypts and parses every segment. Goal
(issue 15): ≤ 2× the floor. --profile adds a cProfile of one `office report` run, by phase and by function.
"""

from __future__ import annotations

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
from gridtui import snapshot, vault  # noqa: E402
from benchutil import BENCH_PIN, PEAK, Figures, arguments  # noqa: E402
from gridtui.store import segment_paths  # noqa: E402

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
from gridtui.store import settle_loads
sys.argv[0] = "gridtui"
settle_loads()  # as the console script does
main()
"""


# The floor: what any command reading the store cannot avoid — unlock its key, read, decrypt and
# parse every segment — as a process of its own, like the commands.
_FLOOR_CHILD = PEAK + """
import sys
from pathlib import Path
from gridtui import vault
from gridtui.home import office_store
from gridtui.storage import AtomicJSONStorage, LogStorage
from gridtui.store import segment_paths
folder = office_store(Path(sys.argv[1]))
cipher = vault.unlock(folder, sys.argv[2])
n = 0
for p in segment_paths(folder):
    n += len(((LogStorage if p.suffix == ".log" else AtomicJSONStorage)(p, cipher).read() or {}).get("_default", {}))
sys.stderr.write(f"\\nPEAK_KB {peak_kb()}\\n")
print(n)
"""


def floor(home: Path) -> tuple[float, float, int]:
    return run(home, [], code=_FLOOR_CHILD, argv=[str(home), BENCH_PIN])


def run(home: Path, args: list[str], code: str = _CLI_CHILD, argv: list[str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KB) of one CLI process; its output is checked, not shown."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDTUI_PIN": BENCH_PIN}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, *(argv if argv is not None else ["--home", str(home), *args])],
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
    ap = arguments(__doc__)
    ap.add_argument("--events", type=int, help="events in the office store (default 200,000; quick 50,000)")
    ap.add_argument("--runs", type=int, help="runs of each command and of the floor, in turn (default 3; quick 2)")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    events, runs = args.events or (50_000 if args.quick else 200_000), args.runs or (2 if args.quick else 3)
    out = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        n = build(home, events)
        size = sum(p.stat().st_size for p in segment_paths(office_store(home)))
        out.note(f"built an office store of {n:,} events ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        # A read that finds no snapshot folds the log and leaves one; every read after it takes the
        # state from the snapshot (the figures below).
        first, floors = [], []
        for _ in range(runs):
            (office_store(home) / snapshot.FILE).unlink(missing_ok=True)
            first.append(run(home, COMMANDS[0][1]))
            floors.append(floor(home))
        out.add(f"{COMMANDS[0][0]}, first read with no snapshot ({n:,} events)", statistics.median(r[0] for r in first),
                "s", statistics.median(f[0] for f in floors), "")
        out.add(f"{COMMANDS[0][0]}, first read with no snapshot: peak memory", max(r[2] for r in first) / 1024, "MB",
                max(f[2] for f in floors) / 1024)
        for name, argv in COMMANDS[:2] + COMMANDS[4:5] if args.quick else COMMANDS:
            results, floors = [], []
            for _ in range(runs):  # A/B/A/B
                results.append(run(home, argv))
                floors.append(floor(home))
            wall, base = statistics.median(r[0] for r in results), statistics.median(f[0] for f in floors)
            out.add(f"{name} ({n:,} events)", wall, "s", base, "≤ 2× floor")
            out.add(f"{name}: peak memory", max(r[2] for r in results) / 1024, "MB",
                    max(f[2] for f in floors) / 1024)
        # Issue 16: each beside the command it is held to, taken in turn.
        ledger_out = Path(tmp) / "ledger"
        for name, argv, base_argv, goal in (
                ("office referrals", ["office", "referrals", *PERIOD], ["office", "report", *PERIOD],
                 "≤ 2× office report"),
                ("office report --format html", ["office", "report", *PERIOD, "--format", "html"],
                 ["office", "report", *PERIOD, "--format", "json"], "≤ 2× --format json"),
                ("office ledger --quarter 2026Q4", ["office", "ledger", "--quarter", "2026Q4", "--to", str(ledger_out)],
                 None, "≤ 10 s")):
            values, bases = [], []
            for _ in range(runs):
                values.append(run(home, argv)[0])
                bases.append(run(home, base_argv)[0] if base_argv else None)
            base = statistics.median(bases) if base_argv else None
            out.add(f"{name} ({n:,} events)", statistics.median(values), "s", base, goal)
        if args.profile:
            profile(home)
    out.show(args.json)


if __name__ == "__main__":
    main()
