"""The snapshot of the folded state (gridtui.snapshot): a reader that folded leaves one, the next
reader takes its state from it without reading the log, and anything that makes it not match the
log on disk exactly — a save, a torn tail, a byte changed, an old copy put back — means a fold."""

import json
import marshal
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TEST_PIN, unlock
from gridtui import snapshot, storage
from gridtui.events import fold, make_event, snapshot_of, state_from_snapshot
from gridtui.store import Store, segment_paths


def _events(n, start=0, dev="devA"):
    out = []
    for i in range(start, start + n):
        out.append(make_event([1_000 + i, 0], dev, "W01", "household", f"H{i}", "create",
                              {"building": "B01", "room": f"{100 + i}", "head": f"住户{i}", "people": i % 5}))
    return out


def _changes():
    """A finding with history, and two devices changing one field without seeing each other."""
    return [
        make_event([5_000, 0], "devA", "W01", "finding", "F1", "create",
                   {"household": "H1", "role": "safety", "category": "gas", "asked": "燃气管老化", "status": "open", "triage": "coordinate", "visit": "V1",
                    "at": "2026-11-02T10:00:00+08:00"}),
        make_event([5_001, 0], "devA", "office", "finding", "F1", "set", {"status": "resolved", "note": "已更换"}),
        make_event([5_002, 0], "devA", "W01", "household", "H2", "set", {"people": 7, "changed": "2026-11-03T10:00:00+08:00"}),
        make_event([5_003, 0], "devB", "W02", "household", "H2", "set", {"people": 9, "changed": "2026-11-03T10:00:00+08:00"}),
    ]


def _make(folder, n=30):
    Store.create(folder, {"office": True}, _events(n) + _changes(), pin=TEST_PIN).close()


def _read(folder):
    return Store.open(folder, unlock=unlock, readonly=True)


def _same_state(a, b):
    assert a.entities == b.entities
    assert [list(t) for t in a.entities.values()] == [list(t) for t in b.entities.values()]  # same order too
    assert (a.count, a.changes, a.last_key) == (b.count, b.changes, b.last_key)
    assert a.overrides == b.overrides and a.pending == b.pending and a.superseded == b.superseded  # what the fold goes on with
    assert [(c.kind, c.eid, c.field, c.kept["id"], c.other["id"]) for c in a.conflicts] == \
           [(c.kind, c.eid, c.field, c.kept["id"], c.other["id"]) for c in b.conflicts]


@pytest.fixture
def log_reads(monkeypatch):
    """How many times a segment of the log is read from disk."""
    reads = []
    real = storage.LogStorage._load

    def counted(self):
        reads.append(self.path.name)
        return real(self)

    monkeypatch.setattr(storage.LogStorage, "_load", counted)
    return reads


def test_a_reader_that_folded_leaves_a_snapshot_and_the_next_reader_does_not_read_the_log(tmp_path, log_reads):
    folder = tmp_path / "s"
    _make(folder)
    with Store.open(folder, unlock=unlock) as writer:
        folded = writer.state
        events = writer.events()
    assert not (folder / snapshot.FILE).exists()  # a writer leaves none: it would slow every save's close
    with _read(folder):
        pass
    assert (folder / snapshot.FILE).exists()
    del log_reads[:]
    with _read(folder) as s:
        assert log_reads == []
        _same_state(s.state, folded)
        assert {c.field for c in folded.conflicts} == {"people", "changed"} and s.state.entities["finding"]["F1"]["history"][0]["status"] == "resolved"
        # What needs the events themselves still gets them all, read when asked.
        assert sorted(e["id"] for e in s.events()) == sorted(e["id"] for e in events)
        assert log_reads and s.event_count == len(events)


def test_the_snapshot_is_sealed_and_holds_no_plain_text(tmp_path):
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    raw = (folder / snapshot.FILE).read_bytes()
    # Strings long enough that random ciphertext does not hold them by chance (two bytes would).
    assert "住户".encode() not in raw and b'"people"' not in raw and "燃气管老化".encode() not in raw


def test_a_plain_store_keeps_no_snapshot(tmp_path):
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01", "training": True}, _events(5)).close()
    with Store.open(folder, readonly=True):
        pass
    assert not (folder / snapshot.FILE).exists()


def test_a_save_after_the_snapshot_is_seen_by_the_next_reader(tmp_path, log_reads):
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    with Store.open(folder, unlock=unlock) as w:
        w.append(_events(2, start=100))
        w.append([make_event([9_000, 0], "devA", "office", "household", "H3", "set", {"people": 4, "changed": "2026-11-04T10:00:00+08:00"},
                             prev=w.state.writer_ids("household", "H3", ["people"]))])
        want = w.state
    del log_reads[:]
    with _read(folder) as s:
        assert log_reads  # stale: folded again
        assert "H101" in s.state.entities["household"] and s.state.entities["household"]["H3"]["people"] == 4
        _same_state(s.state, fold(w.events()))
    del log_reads[:]
    with _read(folder) as s:  # and the new snapshot is the one now used
        assert log_reads == []
        assert s.state.entities == want.entities


def test_a_torn_tail_gives_the_state_without_it_from_the_fold_and_from_the_snapshot(tmp_path, log_reads):
    folder = tmp_path / "s"
    _make(folder)
    with _read(folder) as s:
        before = s.state
    seg = segment_paths(folder)[-1]
    seg.write_bytes(seg.read_bytes() + b"\x40\x00\x00\x00\x12\x34half a record")  # kill -9 mid-append
    for _ in range(2):
        del log_reads[:]
        with _read(folder) as s:
            _same_state(s.state, before)
    assert log_reads == []  # the second read came from the snapshot made of the torn log


def _split(raw: bytes) -> tuple[bytes, list[bytes]]:
    """A snapshot file's magic and header, and its sealed pieces (each with its length and nonce)."""
    at = len(b"gridtui-snap/3\n") + 4 + int.from_bytes(raw[15:19], "little")
    head, pieces = raw[:at], []
    while at < len(raw):
        end = at + 4 + 12 + int.from_bytes(raw[at:at + 4], "little")
        pieces.append(raw[at:end])
        at = end
    return head, pieces


@pytest.mark.parametrize("spoil", ["body", "header", "truncate", "garbage", "old copy", "oversized",
                                   "last piece cut", "pieces swapped", "piece of the old copy"])
def test_a_damaged_forged_or_old_snapshot_is_ignored_and_replaced(tmp_path, spoil, log_reads, monkeypatch):
    monkeypatch.setattr("gridtui.events.SNAPSHOT_PIECE", 7)  # the 33 households in five pieces
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    path = folder / snapshot.FILE
    old = path.read_bytes()
    with Store.open(folder, unlock=unlock) as w:
        w.append(_events(3, start=200))
        want = w.state.entities
    _read(folder).close()
    new = path.read_bytes()
    if spoil == "body":
        bad = new[:-5] + bytes([new[-5] ^ 1]) + new[-4:]
    elif spoil == "header":  # the old snapshot's body under the new header: the seal binds them
        head_len = len(b"gridtui-snap/1\n") + 4
        n_old, n_new = (int.from_bytes(b[head_len - 4:head_len], "little") for b in (old, new))
        bad = new[:head_len + n_new] + old[head_len + n_old:]
    elif spoil == "truncate":
        bad = new[: len(new) // 2]
    elif spoil == "garbage":
        bad = b"\x00" * 100
    elif spoil == "oversized":  # the plain header copied in front of far more than a state could be
        head_len = len(b"gridtui-snap/1\n") + 4
        bad = new[:head_len + int.from_bytes(new[head_len - 4:head_len], "little")] + bytes(3 << 20)
    elif spoil == "last piece cut":  # what is left is whole pieces, each well sealed
        head, pieces = _split(new)
        bad = head + b"".join(pieces[:-1])
    elif spoil == "pieces swapped":
        head, pieces = _split(new)
        bad = head + b"".join([pieces[0], pieces[2], pieces[1], *pieces[3:]])
    elif spoil == "piece of the old copy":
        head, pieces = _split(new)
        bad = head + b"".join([*pieces[:2], _split(old)[1][2], *pieces[3:]])
    else:  # a copy from before the last save put back: its header no longer matches the log
        bad = old
    if spoil.startswith("piece"):
        assert len(_split(new)[1]) == 1 + 6 + 1  # the head, 33 households in five pieces, the finding, the fold's
    path.write_bytes(bad)
    del log_reads[:]
    with _read(folder) as s:
        assert s.state.entities == want and log_reads
    del log_reads[:]
    with _read(folder) as s:  # replaced by a good one
        assert s.state.entities == want and log_reads == []


def test_a_snapshot_that_cannot_be_written_costs_nothing(tmp_path, monkeypatch):
    folder = tmp_path / "s"
    _make(folder)

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "write_atomic", full)
    with _read(folder) as s:
        n = len(s.state.entities["household"])
    assert n == 30 and not (folder / snapshot.FILE).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".gridtui-tmp")]


def test_rules_changed_or_events_set_aside_since_means_a_fold(tmp_path, log_reads):
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    with Store.open(folder, unlock=unlock) as w:
        w.update_meta(quarantine=[_events(1)[0]["id"]])  # what the next rules check would do
    del log_reads[:]
    with _read(folder) as s:
        assert log_reads and "H0" not in s.state.entities["household"] and len(s.quarantined) == 1


_change = st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 40), st.sampled_from(["H1", "H2", "H3"]),
                    st.sampled_from(["create", "set"]), st.sampled_from(["people", "phone"]), st.integers(0, 9))


@settings(max_examples=100, deadline=None)
@given(st.lists(_change, max_size=30))
def test_a_state_read_back_from_its_snapshot_is_the_state(changes):
    events, seen = [], set()
    for dev, ms, eid, op, fld, val in changes:
        if (dev, ms) not in seen:
            seen.add((dev, ms))
            events.append(make_event([ms, 0], dev, "W01", "household", eid, op, {fld: val}))
    state = fold(events)
    _same_state(state_from_snapshot([marshal.loads(marshal.dumps(p)) for p in snapshot_of(state)]), state)


_HEAD = {"kinds": ["household"], "count": 1, "changes": {}}


@pytest.mark.parametrize("data", [None, [], [{"entities": []}], [{**_HEAD, "count": "1"}], [{**_HEAD, "kinds": [3]}],
                                  [_HEAD, ["household", {"H1": 3}]], [_HEAD, ["visit", {"V1": {}}]], [_HEAD, ["household"]],
                                  [{**_HEAD, "conflicts": [[1, 2]]}]])
def test_a_snapshot_of_the_wrong_shape_is_refused(data):
    with pytest.raises(ValueError):
        state_from_snapshot(data)


def test_the_office_report_reads_the_snapshot_and_says_the_same(tmp_path):
    from click.testing import CliRunner

    from gridtui.cli import main
    from gridtui.home import office_store
    from test_report import init_office, roster

    home = init_office(tmp_path / "home", roster())
    runs = [CliRunner().invoke(main, ["--home", str(home), "office", "report", "--format", "json"],
                               env={"GRIDTUI_PIN": TEST_PIN}) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    assert runs[0].output == runs[1].output
    assert (office_store(home) / snapshot.FILE).exists()


def test_the_ledger_leaves_no_snapshot_and_writes_the_same_books_from_one(tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from gridtui.cli import main
    from gridtui.home import office_store
    from test_report import init_office, roster

    home = init_office(tmp_path / "home", roster())

    def ledger(out):
        res = CliRunner().invoke(main, ["--home", str(home), "office", "ledger", "--quarter", "2026Q4", "--to",
                                        str(out)], env={"GRIDTUI_PIN": TEST_PIN})
        assert res.exit_code == 0, res.output
        return {p.name: [[c.value for c in row] for ws in load_workbook(p).worksheets for row in ws.iter_rows()]
                for p in out.iterdir()}

    folded = ledger(tmp_path / "a")
    assert not (office_store(home) / snapshot.FILE).exists()  # it keeps every core busy: left to the next report
    CliRunner().invoke(main, ["--home", str(home), "office", "report"], env={"GRIDTUI_PIN": TEST_PIN})
    assert (office_store(home) / snapshot.FILE).exists()
    assert ledger(tmp_path / "b") == folded


@pytest.mark.parametrize("planted", ["link", "fifo", "folder"])
def test_a_snapshot_that_is_not_a_regular_file_is_ignored_and_never_waited_on(tmp_path, planted, log_reads):
    import sys

    if planted == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    if planted == "link" and sys.platform == "win32":
        pytest.skip("symlinks need rights on Windows")
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    path = folder / snapshot.FILE
    real = tmp_path / "elsewhere.snap"
    path.rename(real)
    {"link": lambda: path.symlink_to(real), "fifo": lambda: os.mkfifo(path), "folder": path.mkdir}[planted]()
    del log_reads[:]
    with _read(folder) as s:  # a FIFO opened for reading would block here for ever
        assert log_reads and len(s.state.entities["household"]) == 30


def test_events_asked_for_after_a_snapshot_keep_its_state_unless_a_writer_appended_meanwhile(tmp_path):
    folder = tmp_path / "s"
    _make(folder)
    _read(folder).close()
    with _read(folder) as s:
        state = s.state
        assert len(s.events()) == 34 and s.state is state  # the log is the snapshot's: not folded again
    with _read(folder) as s:
        with Store.open(folder, unlock=unlock) as w:  # the app saves while a report is open
            w.append(_events(1, start=300))
        assert len(s.events()) == 35 and "H300" in s.state.entities["household"]


def test_a_snapshot_in_another_pythons_format_is_stale_and_replaced(tmp_path, log_reads, monkeypatch):
    folder = tmp_path / "s"
    _make(folder)
    with Store.open(folder, unlock=unlock) as writer:
        folded = writer.state
    ours = snapshot.CODEC
    monkeypatch.setattr(snapshot, "CODEC", "marshal-4-py3.99")  # written by a Python that is gone
    _read(folder).close()
    monkeypatch.setattr(snapshot, "CODEC", ours)
    del log_reads[:]
    with _read(folder) as s:  # marshal's format is not promised across versions: this one folds
        assert log_reads and s.state.entities == folded.entities
    del log_reads[:]
    with _read(folder) as s:  # and left one in its own format, which the next reader takes
        assert log_reads == []
        _same_state(s.state, folded)


def test_a_merge_or_a_decision_leaves_the_snapshot_the_report_after_it_reads(tmp_path, log_reads):
    from gridtui.home import office_store
    from gridtui.office.commands import change_finding
    from test_sync import Site

    site = Site(tmp_path)
    site.record("W01", "H01", [{"role": "safety", "category": "other", "asked": "楼道堆物"}], note="第一次")
    folder = office_store(site.office)
    (folder / snapshot.FILE).unlink(missing_ok=True)
    assert site.merge().new_events == 0  # nothing new: no snapshot written for it
    assert not (folder / snapshot.FILE).exists()
    site.sync("W01")
    assert site.merge().new_events >= 2
    assert (folder / snapshot.FILE).exists()
    del log_reads[:]
    with _read(folder) as s:
        assert log_reads == []
        merged = s.state
    (folder / snapshot.FILE).unlink()
    with _read(folder) as s:  # the state a fold of the log gives
        assert log_reads
        _same_state(merged, s.state)
        assert any(r.get("note") == "第一次" for r in s.state.entities["visit"].values())
    # An office decision leaves one too: the report after it need not fold the log either.
    (folder / snapshot.FILE).unlink()
    fid = next(f for f, r in merged.entities["finding"].items() if r.get("asked") == "楼道堆物")
    assert change_finding(site.office, fid, "resolved", "已清理", unlock=unlock)[1]
    del log_reads[:]
    with _read(folder) as s:
        assert log_reads == [] and s.state.entities["finding"][fid]["status"] == "resolved"
        decided = s.state
    (folder / snapshot.FILE).unlink()
    with _read(folder) as s:
        _same_state(decided, s.state)


def test_the_console_script_ends_a_report_without_teardown_and_loses_none_of_its_output(tmp_path):
    import subprocess
    import sys

    from click.testing import CliRunner

    from gridtui.cli import context, main
    from test_report import init_office, roster

    home = init_office(tmp_path / "home", roster())
    args = ["--home", str(home), "office", "report", "--format", "json"]
    in_process = CliRunner().invoke(main, args, env={"GRIDTUI_PIN": TEST_PIN})
    assert in_process.exit_code == 0 and not context.left_to_exit()  # only the console script leaves the state
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "GRIDTUI_PIN": TEST_PIN}
    # The state is left to the end of the process, which skips freeing it: the output is all there.
    code = "import atexit, sys; atexit.register(lambda: sys.stderr.write('TORN DOWN')); from gridtui.entry import run; run()"
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout) == json.loads(in_process.output)
    assert b"TORN DOWN" not in proc.stderr
    bad = subprocess.run([sys.executable, "-c", code, *args[:4], "--since", "2026-13-01"], env=env,
                         capture_output=True, timeout=120)
    assert bad.returncode == 2 and "2026-13-01" in bad.stderr.decode() and b"TORN DOWN" in bad.stderr  # as usual


def _segment_names(folder):
    return [p.name for p in segment_paths(folder)]


def test_the_office_opened_to_write_takes_the_snapshot_and_decides_as_if_it_had_folded(tmp_path, log_reads):
    import shutil

    from gridtui.office.outbox import OfficeStore

    folder, folded = tmp_path / "s", tmp_path / "folded"
    _make(folder)
    _read(folder).close()
    shutil.copytree(folder, folded)
    (folded / snapshot.FILE).unlink()
    made = []
    for where in (folder, folded):
        del log_reads[:]
        with OfficeStore.open(where, unlock=unlock) as w:
            assert (log_reads == []) == (where == folder)  # from the snapshot: the log is not read
            # Changed before by two devices (a conflict), by one, and never: the prev each names.
            events = [w.new_event("household", h, "set", {"people": 3, "changed": "2026-11-05T10:00:00+08:00"})
                      for h in ("H2", "H7")] + [w.new_event("finding", "F1", "set", {"status": "closed"})]
            w.append(events)
            made.append(events)
            if where == folder:  # the segment appended to, to know where its end is: no more
                assert log_reads == [_segment_names(folder)[-1]]
            state = w.state
        with _read(where) as r:
            _same_state(r.state, state)
    (mine, theirs) = made
    assert [e["prev"] for e in mine] == [e["prev"] for e in theirs] and mine[0]["prev"]["people"] == "devB.5003.0"
