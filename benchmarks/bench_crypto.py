"""What encryption costs: unlock, open, save and merge, encrypted against plain, with the real scrypt cost.

    python benchmarks/bench_crypto.py [--quick] [--runs 5] [--save-runs 30] [--merge-runs 4]
                                      [--big 50000] [--files 200] [--events 1000] [--profile]

Prints one markdown table. Targets on a 2-core box: unlock ≤ 0.5 s (PIN to an open store),
save overhead ≤ 10 ms, a merge of gridtui-sync/3 files within 1.25× of the same events as /2. The scrypt cost is calibrated on this machine exactly
as the app does it (``vault.FIXED_LOG_N`` is left alone), so every unlock pays the real price.

- open: each run is a fresh process (imports excluded from the time, its peak RSS reported), on
  the demo worker W01's training grid and on a grid of ``--big`` events, encrypted and plain;
- save: one visit with one finding, in one process, encrypted and plain saves alternating;
- merge: ``--files`` worker files × ``--events`` events into the encrypted office store, as
  gridtui-sync/3 files (sealed to the office's X25519 key, signed with Ed25519) against the same
  events as /2 files from laptops the office knows; each run is a fresh process on a fresh copy.

Peak RSS is read from /proc/self/status (VmHWM) in each child where there is one: on Linux the
ru_maxrss of a child also counts its parent's peak, and the parent here holds the whole benchmark.

Not a test: timings depend on the machine. ``--profile`` adds a cProfile of one merge of each kind.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

# The other benchmarks' builders, so that the stores and files measured here are theirs.
from bench_merge import _worker_file  # noqa: E402
from benchutil import BENCH_PIN, PEAK as _PEAK  # noqa: E402
from bench_worker import ROOT, _filler  # noqa: E402

from gridtui import crypto, demo, vault  # noqa: E402
from tinydb import Query  # noqa: E402
from gridtui.demogen import generate  # noqa: E402
from gridtui.events import make_event  # noqa: E402
from gridtui.home import office_store  # noqa: E402
from gridtui.office.commands import init  # noqa: E402
from gridtui.office.ledger import Ledger  # noqa: E402
from gridtui.roster import roster_events  # noqa: E402
from gridtui.store import Store  # noqa: E402
from gridtui.sync import envelope  # noqa: E402

PIN = BENCH_PIN
UNLOCK_TARGET_S = 0.5
SAVE_TARGET_MS = 10.0
MERGE_TARGET_RATIO = 1.25  # sync/3 (X25519 + Ed25519 on top of AES-GCM) against /2, same events
_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# One fresh process per measurement: "scrypt" times the KDF alone, "unlock" times vault.unlock
# (scrypt + unwrapping key.json's data key), "open" times the whole Store.open (with the PIN's
# unlock for an encrypted store, and how much of it the unlock was). Imports are done before the
# clock starts.
# In a child, after `pin` is set: the unlock callback, noting how long the unlock took.
_TIMED_UNLOCK = """
import time
from gridtui import vault
spent = {"unlock": 0.0}
def unlock(f):
    t = time.perf_counter()
    cipher = vault.unlock(f, pin)
    spent["unlock"] = time.perf_counter() - t
    return cipher
"""

_OPEN_CHILD = _PEAK + """
import json, sys, time
from pathlib import Path
from gridtui import crypto, vault
from gridtui.store import Store
mode, folder, pin = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
""" + _TIMED_UNLOCK + """
n = None
t0 = time.perf_counter()
if mode == "scrypt":  # the KDF alone; the folder argument is log2(N)
    crypto.derive_pin_key(pin, b"0123456789abcdef", int(sys.argv[2]))
elif mode == "unlock":
    vault.unlock(folder, pin)
else:
    store = Store.open(folder, unlock=unlock)
dt = time.perf_counter() - t0
if mode == "open":
    n = store.event_count
    store.close()
print(json.dumps({"s": dt, "unlock_s": spent["unlock"], "events": n, "rss_kb": peak_kb()}))
"""

# bench_merge's child, with the office store's PIN (empty: a plain office store).
_MERGE_CHILD = _PEAK + """
import json, sys, time
from pathlib import Path
from gridtui import vault
from gridtui.office.commands import merge_folder
home, shared, pin = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
""" + _TIMED_UNLOCK + """
t0 = time.perf_counter()
r = merge_folder(home, shared, unlock=unlock if pin else None)
dt = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"s": dt, "unlock_s": spent["unlock"], "rss_kb": peak_kb(), "cpu_s": use.ru_utime + use.ru_stime,
                  "taken": len(r.taken), "new": r.new_events, "skipped": len(r.skipped)}))
"""


def _child(code: str, *argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=_ENV)
    if out.returncode != 0:
        raise SystemExit(f"child {argv} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _unlock(folder: Path) -> crypto.Cipher:
    return vault.unlock(folder, PIN)


# --- stores -----------------------------------------------------------------------------------------


def demo_stores(tmp: Path) -> tuple[Path, Path]:
    """Demo worker W01's training grid, built by gridtui.demo, once encrypted and once plain."""
    folders = []
    for name, kw in (("demo-enc", {"pin": PIN}), ("demo-plain", {})):
        home = tmp / name
        demo.open_training(home, demo.DEFAULT_WORKER, reset=True, **kw).close()
        folders.append(demo.training_store(home, demo.DEFAULT_WORKER))
    return folders[0], folders[1]


def grid_events(roster: dict, total: int) -> list[dict]:
    """A grid's roster plus bench_worker's filler visits, ``total`` events in all."""
    events = roster_events(roster, grid="G01")
    return events + _filler(max(0, total - len(events)))


def store_pair(tmp: Path, name: str, events: list[dict]) -> tuple[Path, Path]:
    enc, plain = tmp / f"{name}-enc", tmp / f"{name}-plain"
    meta = {"worker": "W01", "grid": "G01"}
    Store.create(enc, meta, events, pin=PIN).close()
    Store.create(plain, meta, events).close()
    return enc, plain


# --- measurements -------------------------------------------------------------------------------------


def scrypt_times(log_n: int, runs: int) -> list[dict]:
    return [_child(_OPEN_CHILD, "scrypt", str(log_n), PIN) for _ in range(runs)]


def open_times(enc: Path, plain: Path, runs: int) -> dict[str, list[dict]]:
    """Interleaved so that a slower moment of the machine hits every kind alike."""
    out: dict[str, list[dict]] = {"unlock": [], "open-enc": [], "open-plain": []}
    for _ in range(runs):
        out["unlock"].append(_child(_OPEN_CHILD, "unlock", str(enc), PIN))
        out["open-enc"].append(_child(_OPEN_CHILD, "open", str(enc), PIN))
        out["open-plain"].append(_child(_OPEN_CHILD, "open", str(plain), PIN))
    return out


_VISIT = {"outcome": "met", "findings": [{"role": "safety", "category": "gas", "asked": "燃气软管老化"}]}


def save_times(enc: Path, plain: Path, runs: int) -> tuple[int, list[float], list[float]]:
    """One visit + one finding per save, as bench_worker; encrypted and plain saves alternate."""
    stores = [Store.open(enc, unlock=_unlock), Store.open(plain)]
    n = stores[1].event_count
    try:
        hid = next(iter(stores[1].state.entities["household"]))
        times: list[list[float]] = [[], []]
        for _ in range(runs):
            for store, ts in zip(stores, times):
                t0 = time.perf_counter()
                store.record_visit({"household": hid, **_VISIT})
                ts.append(time.perf_counter() - t0)
    finally:
        for store in stores:
            store.close()
    return n, times[0], times[1]


def build_merge(tmp: Path, files: int, per_file: int) -> dict[str, tuple[Path, Path]]:
    """bench_merge's community and worker files, the same events twice: as gridtui-sync/3 files for one
    copy of the (encrypted) office store, and as /2 files for another that already knows each device
    (an old laptop, whose /2 files it still takes)."""
    grids = max(1, files // 4)
    roster = generate(grids=grids, buildings=grids * 2, households=grids * 40, months=1)
    roster_path = tmp / "roster.json"
    roster_path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    homes = {"v3": tmp / "office-v3", "v2": tmp / "office-v2"}
    shared = {"v3": tmp / "shared-v3", "v2": tmp / "shared-v2"}
    init(homes["v3"], roster_path, new_pin=lambda: PIN)
    keys: dict[str, str] = {}
    by_grid: dict[str, list[str]] = {}
    with Store.open(office_store(homes["v3"]), unlock=_unlock) as store:
        ents = store.state.entities
        for hid, h in ents["household"].items():
            by_grid.setdefault(ents["building"][h["building"]]["grid"], []).append(hid)
        with Ledger.open(store) as ledger:
            for i in range(files):
                worker = f"W{i:03d}"
                keys[worker] = ledger.enroll(worker, f"网格员{i}", sorted(by_grid)[i % len(by_grid)])
        office_public = base64.b64decode(store.meta["box_public"])
    shutil.copytree(homes["v3"], homes["v2"])
    grid_ids = sorted(by_grid)
    base_ms = int(time.time() * 1000) - 30 * 86_400_000
    with Store.open(office_store(homes["v2"]), unlock=_unlock) as store:  # each device seen before /3
        store.append([make_event([base_ms - 86_400_000, i], f"d{i:04d}", f"W{i:03d}", "visit", f"Vd{i:04d}-fffff",
                                 "create", {"household": sorted(by_grid[grid_ids[i % len(grid_ids)]])[0],
                                            "mode": "door", "outcome": "met", "note": "",
                                            "at": "2026-10-01T10:00:00+08:00", "worker": f"W{i:03d}"})
                      for i in range(files)])
    for i in range(files):
        worker, device, grid = f"W{i:03d}", f"d{i:04d}", grid_ids[i % len(grid_ids)]
        homes_ = sorted(by_grid[grid])
        for kind, data in (("v3", _worker_file(worker, device, keys[worker], homes_, per_file, base_ms, office_public)),
                           ("v2", _worker_file(worker, device, keys[worker], homes_, per_file, base_ms))):
            folder = shared[kind] / "to-office" / worker
            folder.mkdir(parents=True)
            (folder / f"{device}.json").write_bytes(data)
    return {kind: (homes[kind], shared[kind]) for kind in homes}


def merge_times(tmp: Path, setups: dict[str, tuple[Path, Path]], runs: int, files: int) -> dict[str, list[dict]]:
    """Each merge in a fresh process on a fresh copy of its office store; kinds alternate."""
    out: dict[str, list[dict]] = {"v3": [], "v2": []}
    for k in range(runs):
        for kind, (home, shared) in setups.items():
            copy = tmp / f"run-{kind}-{k}"
            shutil.copytree(home, copy)
            r = _child(_MERGE_CHILD, str(copy), str(shared), PIN)
            shutil.rmtree(copy)
            if r["taken"] != files or r["skipped"]:
                raise SystemExit(f"{kind} merge did not take every file as expected: {r}")
            out[kind].append(r)
    return out


def profile_merges(tmp: Path, setups: dict[str, tuple[Path, Path]], top: int = 14) -> None:
    """Where one merge of each kind spends its time (in this process; profiler overhead included)."""
    from gridtui.office.commands import merge_folder

    for kind, (home, shared) in setups.items():
        copy = tmp / f"profile-{kind}"
        shutil.copytree(home, copy)
        prof = cProfile.Profile()
        prof.enable()
        merge_folder(copy, shared, unlock=_unlock)
        prof.disable()
        shutil.rmtree(copy)
        print(f"\ncProfile, {kind} merge, by own time (top {top}):")
        pstats.Stats(prof).sort_stats("tottime").print_stats(top)


# --- the table --------------------------------------------------------------------------------------


def _ms(s: float) -> str:
    return f"{s * 1000:,.0f} ms" if s >= 0.1 else f"{s * 1000:.1f} ms"


def _time_cells(times: list[float]) -> tuple[str, str]:
    return _ms(statistics.median(times)), _ms(min(times))


def _mb(results: list[dict]) -> str:
    return f"{max(r['rss_kb'] for r in results) / 1024:.0f} MB"


def _cpu(results: list[dict]) -> str:
    """Median CPU seconds of the merge processes (start-up included): shows whether waits were I/O."""
    return f"{statistics.median(r['cpu_s'] for r in results):.1f} s"


def _verdict(value: float, limit: float, unit: str, fmt: str = "{:.0f}") -> str:
    if value <= limit:
        return f"≤ {fmt.format(limit)} {unit}: met"
    return f"≤ {fmt.format(limit)} {unit}: MISSED by {fmt.format(value - limit)} {unit}"


def open_rows(label: str, n: int, res: dict[str, list[dict]]) -> list[tuple[str, ...]]:
    unlock = [r["s"] for r in res["unlock"]]
    enc = [r["s"] for r in res["open-enc"]]
    rest = [r["s"] - r["unlock_s"] for r in res["open-enc"]]
    plain = [r["s"] for r in res["open-plain"]]
    over = statistics.median(enc) - statistics.median(plain)
    return [
        (f"{label} ({n:,} events): vault.unlock (scrypt + unwrap)", *_time_cells(unlock), _mb(res["unlock"]),
         _verdict(statistics.median(unlock), UNLOCK_TARGET_S, "s", "{:.2f}")),
        (f"{label}: Store.open encrypted (unlock + decrypt + parse + fold)", *_time_cells(enc), _mb(res["open-enc"]),
         _verdict(statistics.median(enc), UNLOCK_TARGET_S, "s", "{:.2f}")),
        (f"{label}: … of which after the unlock (decrypt + parse + fold)", *_time_cells(rest), "", ""),
        (f"{label}: Store.open plain", *_time_cells(plain), _mb(res["open-plain"]),
         f"encrypted costs {over * 1000:+,.0f} ms"),
    ]


def save_rows(n: int, enc: list[float], plain: list[float]) -> list[tuple[str, ...]]:
    over_ms = (statistics.median(enc) - statistics.median(plain)) * 1000
    best_ms = (min(enc) - min(plain)) * 1000
    return [
        (f"save one visit + finding, {n:,} events: encrypted", *_time_cells(enc), "", f"{len(enc)} saves"),
        (f"save one visit + finding, {n:,} events: plain", *_time_cells(plain), "", f"{len(plain)} saves"),
        (f"save overhead, {n:,} events (encrypted − plain)", f"{over_ms:+.1f} ms", f"{best_ms:+.1f} ms", "",
         _verdict(over_ms, SAVE_TARGET_MS, "ms", "{:.1f}")),
    ]


def merge_rows(files: int, per_file: int, res: dict[str, list[dict]]) -> list[tuple[str, ...]]:
    v3, v2 = [r["s"] for r in res["v3"]], [r["s"] for r in res["v2"]]
    unlock = statistics.median(r["unlock_s"] for r in res["v3"])
    ratio = statistics.median(v3) / statistics.median(v2)
    what = f"merge {files} files × {per_file:,} events"
    return [
        (f"{what}: sync/2 files (old laptops)", *_time_cells(v2), _mb(res["v2"]),
         f"new {res['v2'][0]['new']:,} events; {len(v2)} runs; CPU {_cpu(res['v2'])}"),
        (f"{what}: sync/3 files (sealed to the office, signed)", *_time_cells(v3), _mb(res["v3"]),
         f"new {res['v3'][0]['new']:,} events; CPU {_cpu(res['v3'])}; of which unlock {_ms(unlock)}"),
        ("merge sync/3 vs sync/2", f"{ratio:.2f}×", f"{min(v3) / min(v2):.2f}×", "",
         f"target ≤ {MERGE_TARGET_RATIO:.2f}× {'✓' if ratio <= MERGE_TARGET_RATIO else '✗'}"),
    ]


def print_table(rows: list[tuple[str, ...]]) -> None:
    head = ("measure", "median", "best", "peak RSS", "target / note")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    right = (False, True, True, True, False)

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)) + " |"

    print(line(head))
    print("| " + " | ".join(("-" * (w - 1) + ":") if r else "-" * w for w, r in zip(widths, right)) + " |")
    for row in rows:
        print(line(row))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="a smaller run: the big grid's roster alone (~31k events), 50 files, fewer runs")
    ap.add_argument("--runs", type=int, help="fresh processes per open measurement (default 5; quick 3)")
    ap.add_argument("--save-runs", type=int, help="saves of each kind (default 30; quick 15)")
    ap.add_argument("--merge-runs", type=int, help="merges of each kind (default 4; quick 2)")
    ap.add_argument("--big", type=int,
                    help="events in the big grid: its 5,000-household roster (~31k) plus filler (default 50,000)")
    ap.add_argument("--files", type=int, help="worker files to merge (default 200; quick 50)")
    ap.add_argument("--events", type=int, default=1000, help="events per worker file")
    ap.add_argument("--profile", action="store_true", help="also cProfile one merge of each kind")
    args = ap.parse_args()
    q = args.quick
    runs = args.runs or (3 if q else 5)
    save_runs = args.save_runs or (15 if q else 30)
    merge_runs = args.merge_runs or (2 if q else 4)
    big = args.big if args.big is not None else (0 if q else 50_000)
    files = args.files or (50 if q else 200)

    assert vault.FIXED_LOG_N is None, "this benchmark measures the real, calibrated scrypt cost"
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        calibrated = crypto.calibrate()
        calibrate_s = time.perf_counter() - t0
        demo_enc, demo_plain = demo_stores(tmp)
        log_n = vault.read_key(demo_enc)["log_n"]
        big_enc, big_plain = store_pair(tmp, "big", grid_events(generate(grids=1, buildings=60, households=5000), big))
        save_enc, save_plain = store_pair(tmp, "save10k",
                                          grid_events(generate(grids=1, buildings=4, households=200, months=1), 10_000))
        setups = build_merge(tmp, files, args.events)
        size = {k: sum(p.stat().st_size for p in (shared / "to-office").rglob("*.json")) / 1e6
                for k, (_, shared) in setups.items()}
        print(f"built stores and {files} × {args.events:,}-event files (sync/3 {size['v3']:.0f} MB, "
              f"sync/2 {size['v2']:.0f} MB) in {time.perf_counter() - t0:.1f} s")

        scrypt = scrypt_times(log_n, runs)
        mem_mb = 128 * crypto.SCRYPT_R * (1 << log_n) >> 20
        rows.append((f"scrypt alone: log2(N) = {log_n}, r = {crypto.SCRYPT_R}, p = {crypto.SCRYPT_P} ({mem_mb} MB; "
                     f"calibrate() here → {calibrated} in {_ms(calibrate_s)})",
                     *_time_cells([r["s"] for r in scrypt]), _mb(scrypt), f"aim {crypto.TARGET_SECONDS:.2f} s"))
        for label, (enc, plain) in (("demo W01", (demo_enc, demo_plain)), ("big grid", (big_enc, big_plain))):
            res = open_times(enc, plain, runs)
            rows += open_rows(label, res["open-plain"][0]["events"], res)
        for enc, plain in ((save_enc, save_plain), (big_enc, big_plain)):
            rows += save_rows(*save_times(enc, plain, save_runs))
        rows += merge_rows(files, args.events, merge_times(tmp, setups, merge_runs, files))
        print_table(rows)
        if args.profile:
            profile_merges(tmp, setups)


if __name__ == "__main__":
    main()
