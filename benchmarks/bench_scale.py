"""A street office's year: 200 workers' files adding up to 1,000,000 events, merged, reported on.

    python benchmarks/bench_scale.py [--quick] [--json] [--events 1000000] [--cache DIR]

Builds the worker files and a fresh office once, under a cache folder (``--cache``, default
``$TMPDIR/gridtui-bench-scale``), and reuses them on later runs. Then, each beside its floor
measured in the same run: the merge of every file into the fresh office (floor: unlock the office
key, read, verify, decrypt and parse the same files), a re-merge with nothing new, and ``office
report`` / ``office needs`` on the merged store (floor: unlock, read, decrypt and parse the store).
Goals (issue 15): merge ≤ 20 s, report and needs ≤ 6 s each, peak memory ≤ 800 MB, re-merge ≤ 1 s.
``--quick`` does the same with 200,000 events.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_merge  # noqa: E402
import bench_report  # noqa: E402
from benchutil import BENCH_PIN, Figures, arguments  # noqa: E402
from gridtui.home import office_store  # noqa: E402
from gridtui import vault  # noqa: E402
from gridtui.store import Store  # noqa: E402

FILES = 200
PERIOD = ["--since", "2000-01-01", "--until", "2100-01-01"]


def prepare(cache: Path, files: int, per_file: int) -> tuple[Path, Path, Path]:
    """The shared folder, a pristine office and the floor's keys file, built once per size."""
    where = cache / f"{files}x{per_file}"
    done = where / "built.json"
    if not done.exists():
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        t0 = time.perf_counter()
        home, shared, keys, _ = bench_merge.build(where, files, per_file)
        with Store.open(office_store(home), unlock=lambda f: vault.unlock(f, BENCH_PIN), load=False) as s:
            box = s.meta["box_private"]
        (where / "keys.json").write_text(json.dumps({**keys, "_office": box}), encoding="utf-8")
        home.rename(where / "office-pristine")
        done.write_text(json.dumps({"s": time.perf_counter() - t0}), encoding="utf-8")
        print(f"built {files} files × {per_file:,} events in {time.perf_counter() - t0:.0f} s (kept in {where})",
              file=sys.stderr)
    return where / "shared", where / "office-pristine", where / "keys.json"


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--events", type=int, help="events in all (default 1,000,000; quick 200,000)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gridtui-bench-scale")
    args = ap.parse_args()
    total = args.events or (200_000 if args.quick else 1_000_000)
    shared, pristine, keys = prepare(args.cache, FILES, total // FILES)
    out = Figures()
    with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
        home = Path(tmp) / "office"
        floor = bench_merge._child(bench_merge._FLOOR_CHILD, str(shared), str(keys), str(office_store(pristine)),
                                   BENCH_PIN)
        shutil.copytree(pristine, home)
        first = bench_merge.run_merge(home, shared)
        out.add(f"merge {FILES} files, {first['new']:,} events", first["s"], "s", floor["s"], "≤ 20 s")
        out.add("merge: peak memory", first["rss_kb"] / 1024, "MB", floor["rss_kb"] / 1024, "≤ 800 MB")
        again = bench_merge.run_merge(home, shared)
        out.add("re-merge, nothing new", again["s"], "s", None, "≤ 1 s")
        # The first read after the merge folds the log and leaves the state's snapshot; the reads after
        # it take the state from there (gridtui.snapshot).
        for name, argv in (("office report, first read after the merge", ["office", "report", *PERIOD]),
                           ("office report", ["office", "report", *PERIOD]), ("office needs", ["office", "needs", *PERIOD])):
            base = bench_report.floor(home)
            wall, _, peak = bench_report.run(home, argv)
            out.add(name, wall, "s", base[0], "≤ 6 s, ≤ 2× floor")
            out.add(f"{name}: peak memory", peak / 1024, "MB", base[2] / 1024, "≤ 800 MB")
    out.show(args.json)


if __name__ == "__main__":
    os.environ.setdefault("GRIDTUI_PIN", BENCH_PIN)
    main()
