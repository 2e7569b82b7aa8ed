"""Office merge speed: 200 worker files × 1,000 events, then a re-merge with nothing changed, then
the same merge with one 96 MB hostile file added (no key; and sealed with a worker's own key).

    python benchmarks/bench_merge.py [--quick] [--json] [--files 200] [--events 1000] [--runs 3] [--no-hostile]

Prints ``figure | floor | value | ratio | goal``. Beside the merge, its floor measured in the same
run, in turn with it: unlocking the office key with its PIN, reading the same gridtui-sync/3 files, checking their signatures, opening them
(X25519, AES-GCM), parsing them and keeping their events, nothing else. Each merge is a fresh
process, so its time includes opening the office store and its peak RSS is its own. Beside
publish, unlocking the office key and sealing and durably writing as many bytes as it wrote (publish
takes each grid's events from the outbox the merge keeps: it reads no log). Goals (issue 15): merge
≤ 3× its floor and ≤ 400 MB; re-merge ≤ 1 s; publish ≤ 2× its floor.
"""

from __future__ import annotations

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
from gridtui.office import outbox  # noqa: E402
from gridtui.office.ledger import Ledger  # noqa: E402
from gridtui.store import Store  # noqa: E402
from gridtui.sync import envelope  # noqa: E402
from gridtui import vault  # noqa: E402
from benchutil import BENCH_PIN, PEAK, Figures, arguments  # noqa: E402

_CHILD = PEAK + """
import json, sys, time
from pathlib import Path
from gridtui import vault
from gridtui.office.commands import merge_folder
from gridtui.store import settle_loads
settle_loads()  # as the console script does
t0 = time.perf_counter()
r = merge_folder(Path(sys.argv[1]), Path(sys.argv[2]), unlock=lambda f: vault.unlock(f, sys.argv[3]))
dt = time.perf_counter() - t0
print(json.dumps({"s": dt, "rss_kb": peak_kb(),
                  "taken": len(r.taken), "new": r.new_events, "unchanged": r.unchanged, "skipped": len(r.skipped)}))
"""


_FLOOR_CHILD = PEAK + """
import base64, hashlib, json, sys, time
from pathlib import Path
from gridtui import crypto
from gridtui.sync.envelope import HEADER_TO_OFFICE, canonical
from gridtui import vault
keys = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
box_private = base64.b64decode(keys.pop("_office"))
t0 = time.perf_counter()
vault.unlock(Path(sys.argv[3]), sys.argv[4])  # the office's PIN opens its key first, whatever else it does
kept = []
for p in sorted((Path(sys.argv[1]) / "to-office").rglob("*.json")):
    obj = json.loads(p.read_bytes())
    aad = canonical({k: obj[k] for k in HEADER_TO_OFFICE})
    nonce, sealed = base64.b64decode(obj["nonce"]), base64.b64decode(obj["sealed"])
    signed = hashlib.sha256(len(aad).to_bytes(4, "big") + aad + nonce + sealed).digest()
    assert crypto.verify(base64.b64decode(obj["device_key"]), base64.b64decode(obj["sig"]), signed)
    aes = crypto.to_office_key(keys[obj["worker"]], crypto.box_shared(box_private, base64.b64decode(obj["epk"])))
    kept.extend(json.loads(crypto.Cipher(aes).open_raw(nonce, sealed, aad))["events"])
print(json.dumps({"s": time.perf_counter() - t0, "rss_kb": peak_kb(), "events": len(kept)}))
"""


def _office_public(home: Path) -> bytes:
    """The office's X25519 public key, what a laptop's /3 files are sealed to."""
    import base64

    with Store.open(office_store(home), unlock=lambda f: vault.unlock(f, BENCH_PIN), load=False) as store:
        return base64.b64decode(store.meta["box_public"])


def _worker_file(worker: str, device: str, key: str, households: list[str], n: int, base_ms: int,
                 office_public: bytes | None = None) -> bytes:
    """A device's file of ``n`` events: gridtui-sync/3 sealed to ``office_public``, or /2 without one."""
    events = []
    for i in range(n // 2):
        hid = households[i % len(households)]
        ms = base_ms + i * 60_000
        vid, fid = f"V{device}-{2 * i:x}", f"F{device}-{2 * i + 1:x}"  # the device's own namespace, as the app
        at = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ms / 1000))
        events.append(make_event([ms, 0], device, worker, "visit", vid, "create",
                                 {"household": hid, "mode": "door", "outcome": "met", "note": "老人身体状况良好，叮嘱注意保暖",
                                  "at": at, "worker": worker}))
        events.append(make_event([ms, 1], device, worker, "finding", fid, "create",
                                 {"role": "safety", "category": "ebike_charging", "asked": "楼道内电动车飞线充电",
                                  "action": "当场劝导拆除飞线", "triage": "routine", "due": None, "visit": vid,
                                  "household": hid, "at": at, "status": "open"}))
    if office_public is None:
        return envelope.seal(worker, device, "2026-11-25T18:00:00+08:00", events, key)
    from gridtui import crypto

    return envelope.seal_to_office(worker, device, "2026-11-25T18:00:00+08:00", events, key, office_public,
                                   *crypto.new_signing_key())


def build(tmp: Path, files: int, per_file: int) -> tuple[Path, Path, dict[str, str], dict[str, list[str]]]:
    grids = max(1, files // 4)
    roster = generate(grids=grids, buildings=grids * 2, households=grids * 40, months=1)
    roster_path = tmp / "roster.json"
    roster_path.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    home, shared = tmp / "office", tmp / "shared"
    shared.mkdir()
    init(home, roster_path, new_pin=lambda: BENCH_PIN)
    unlock = lambda f: vault.unlock(f, BENCH_PIN)  # noqa: E731
    office_public = _office_public(home)
    with Store.open(office_store(home), unlock=unlock) as store, Ledger.open(store) as ledger:
        by_grid: dict[str, list[str]] = {}
        for hid, h in store.state.entities["household"].items():
            by_grid.setdefault(store.state.entities["building"][h["building"]]["grid"], []).append(hid)
        grid_ids = sorted(by_grid)
        base_ms = int(time.time() * 1000) - 30 * 86_400_000
        keys = {}
        for i in range(files):
            worker, grid = f"W{i:03d}", grid_ids[i % len(grid_ids)]
            key = keys[worker] = ledger.enroll(worker, f"网格员{i}", grid)
            folder = shared / "to-office" / worker
            folder.mkdir(parents=True)
            (folder / f"d{i:04d}.json").write_bytes(
                _worker_file(worker, f"d{i:04d}", key, sorted(by_grid[grid]), per_file, base_ms, office_public))
    return home, shared, keys, {w: sorted(by_grid[grid_ids[i % len(grid_ids)]]) for i, w in enumerate(sorted(keys))}


HOSTILE_BYTES = 96 * 1024 * 1024 - 4096


def plant_hostile(shared: Path, kind: str, keys: dict[str, str], homes: dict[str, list[str]]) -> Path:
    """One file just under the size limit in W000's folder: base64 noise with no key, or events sealed
    with W000's own key that all name another grid's households (refused, but only once parsed)."""
    import base64 as b64

    path = shared / "to-office" / "W000" / f"hostile{kind}.json"
    if kind == "-nokey":
        noise = b64.b64encode(os.urandom(HOSTILE_BYTES * 3 // 4 - 200)).decode()
        fake = b64.b64encode(os.urandom(32)).decode()
        path.write_text(json.dumps({"format": envelope.FORMAT, "worker": "W000", "device": "beef0000",
                                    "created": "", "device_key": fake, "epk": fake, "own": fake, "sig": fake,
                                    "nonce": "AAAAAAAAAAAAAAAA", "sealed": noise}))
        return path
    others = [h for w, hs in homes.items() if w != "W000" and hs != homes["W000"] for h in hs] or homes["W000"]
    n = int(HOSTILE_BYTES * 3 / 4 / 520)  # ~520 bytes an event pair below, base64 adds a third
    data = _worker_file("W000", "beef0000", keys["W000"], others, n, int(time.time() * 1000),
                        _office_public(shared.parent / "office-pristine"))
    path.write_bytes(data)
    return path


def _child(code: str, *argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_merge(home: Path, shared: Path) -> dict:
    return _child(_CHILD, str(home), str(shared), BENCH_PIN)


def publish_floor(home: Path, shared: Path, scratch: Path) -> float:
    """Open the office key with its PIN (as the merge's floor does), then seal and durably write bytes
    as many as publish wrote, file by file: what publish cannot avoid."""
    from gridtui import crypto
    from gridtui.atomic import write_atomic

    sizes = [p.stat().st_size for p in (shared / "to-worker").rglob("*.json")]
    cipher = crypto.Cipher(crypto.random_key())
    scratch.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    vault.unlock(office_store(home), BENCH_PIN)
    for i, n in enumerate(sizes):
        nonce, sealed = cipher.seal_raw(b"x" * (n * 3 // 4))  # the file is base64 of the sealed payload
        write_atomic(scratch / f"{i}.json", nonce + sealed)
    return time.perf_counter() - t0


def timed_publish(home: Path, shared: Path) -> float:
    t0 = time.perf_counter()
    publish(home, shared, unlock=lambda f: vault.unlock(f, BENCH_PIN))
    return time.perf_counter() - t0


def main() -> None:
    import shutil
    import statistics

    ap = arguments(__doc__)
    ap.add_argument("--files", type=int, help="worker files (default 200; quick 40)")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--runs", type=int, help="merges and floors, taken in turn (default 3; quick 2)")
    ap.add_argument("--no-hostile", action="store_true", help="Skip the runs with a 96 MB hostile file.")
    args = ap.parse_args()
    files, runs = args.files or (40 if args.quick else 200), args.runs or (2 if args.quick else 3)
    out = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        home, shared, keys, homes = build(Path(tmp), files, args.events)
        size = sum(p.stat().st_size for p in (shared / "to-office").rglob("*.json"))
        out.note(f"built {files} files × {args.events} events ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        keys_path = Path(tmp) / "keys.json"
        with Store.open(office_store(home), unlock=lambda f: vault.unlock(f, BENCH_PIN), load=False) as s:
            box = s.meta["box_private"]  # the floor opens the files as the office does
        keys_path.write_text(json.dumps({**keys, "_office": box}), encoding="utf-8")
        pristine = Path(tmp) / "office-pristine"
        shutil.copytree(home, pristine)
        floors, merges = [], []
        for _ in range(runs):  # A/B/A/B: the machine's mood shifts both alike
            floors.append(_child(_FLOOR_CHILD, str(shared), str(keys_path), str(office_store(pristine)), BENCH_PIN))
            shutil.rmtree(home)
            shutil.copytree(pristine, home)
            merges.append(run_merge(home, shared))
        again = run_merge(home, shared)
        pubs, pub_floors = [], []
        for _ in range(runs):
            pubs.append(timed_publish(home, shared))
            pub_floors.append(publish_floor(home, shared, Path(tmp) / "floor-out"))
        med = lambda xs: statistics.median(xs)  # noqa: E731
        floor_s, merge_s = med([f["s"] for f in floors]), med([m["s"] for m in merges])
        first = merges[-1]
        out.add(f"merge {files} files × {args.events} events (new {first['new']:,}, skipped {first['skipped']})",
                merge_s, "s", floor_s, "≤ 3× floor")
        out.add("merge: peak memory", max(m["rss_kb"] for m in merges) / 1024, "MB",
                max(f["rss_kb"] for f in floors) / 1024, "≤ 400 MB")
        out.add(f"re-merge, nothing new (unchanged {again['unchanged']})", again["s"], "s", None, "≤ 1 s")
        out.add(f"publish to {files} workers", med(pubs), "s", med(pub_floors), "≤ 2× floor")
        (office_store(home) / outbox.INDEX).unlink()  # as after a roster update that moved a building
        out.add(f"publish to {files} workers, the outbox written again from the log", timed_publish(home, shared), "s",
                med(pub_floors), "")
        if not args.no_hostile and not args.quick:
            for kind, label in (("-nokey", "no key"), ("-keyed", "W000's own key")):
                planted = plant_hostile(shared, kind, keys, homes)
                fresh = Path(tmp) / f"office{kind}"
                shutil.copytree(pristine, fresh)
                r = run_merge(fresh, shared)
                out.add(f"merge + 96 MB hostile file ({label}; skipped {r['skipped']})", r["s"], "s", floor_s, "")
                planted.unlink()
                shutil.rmtree(fresh)
    out.show(args.json)


if __name__ == "__main__":
    main()
