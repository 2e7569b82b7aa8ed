"""The local store: crash-safe writes, one writer at a time, copies not cached documents."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from gridtui import store as store_mod
from gridtui.events import make_event
from gridtui.lock import StoreInUse, StoreLock
from gridtui.storage import DamagedFile
from gridtui.store import Store


def _events(n, start=0):
    return [
        make_event([1_000 + i, 0], "devA", "W01", "household", f"H{i}", "create",
                   {"building": "B01", "room": f"{100 + i}", "head": f"住户{i}", "people": i % 5})
        for i in range(start, start + n)
    ]


def _ids(store):
    return {e["id"] for e in store.events()}


def test_events_survive_reopen_across_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(7))
    s.append(_events(6, start=7))
    s.close()
    assert len(list((tmp_path / "s").glob("events-*.log"))) == 3
    s = Store.open(tmp_path / "s")
    assert _ids(s) == {e["id"] for e in _events(13)}
    assert len(s.state.entities["household"]) == 13
    s.close()


@pytest.mark.parametrize("cut", ["fsync", "half_written"])
def test_a_write_cut_short_leaves_every_saved_event_and_the_next_save_goes_on(tmp_path, monkeypatch, cut):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(10))
    saved = _ids(s)
    seg = store_mod.segment_paths(tmp_path / "s")[-1]
    size = seg.stat().st_size
    real_write = os.write

    def power_cut(*_a):
        raise OSError(errno.EIO, "power cut")

    def disk_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    if cut == "fsync":
        monkeypatch.setattr(os, "fsync", power_cut)
    else:
        monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        s.append(_events(1, start=10))
    assert _ids(s) == saved  # nothing half-applied in memory either
    monkeypatch.undo()
    assert seg.stat().st_size == size  # what was half-written is cut off again
    s.append(_events(1, start=11))  # and the store goes on
    s.close()
    with Store.open(tmp_path / "s") as reopened:
        assert _ids(reopened) == saved | {e["id"] for e in _events(1, start=11)}


def test_a_torn_last_record_is_dropped_and_the_next_save_cuts_it_off(tmp_path):
    """What kill -9 or a power cut in the middle of an append leaves: the record is dropped, never
    one before it, and the next append goes where the last good record ends."""
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}, _events(3)).close()
    seg = store_mod.segment_paths(folder)[-1]
    good = seg.read_bytes()
    torn_body = bytes(good[len(good) // 2 :])
    for torn in (b"\x10", b"\xff\x00\x00\x00\x12\x34", good[-200:], torn_body, bytes(300)):  # frame, body, zeros
        seg.write_bytes(good + torn)
        with Store.open(folder) as s:
            assert _ids(s) == {e["id"] for e in _events(3)} and s.loss is None
    seg.write_bytes(good + good[-40:])
    with Store.open(folder) as s:
        s.append(_events(1, start=3))
    with Store.open(folder) as s:
        assert _ids(s) == {e["id"] for e in _events(4)}
    assert seg.stat().st_size < len(good) + 40 + 400  # the garbage went, the new record came


def test_a_save_appends_and_never_rewrites_what_is_written(tmp_path):
    folder = tmp_path / "s"
    s = Store.create(folder, {"worker": "W01"}, _events(50))
    seg = store_mod.segment_paths(folder)[-1]
    before = seg.read_bytes()
    s.append(_events(1, start=50))
    after = seg.read_bytes()
    assert after.startswith(before) and len(after) - len(before) < 1000
    s.close()


def test_a_process_killed_while_saving_leaves_a_store_that_opens_with_all_acknowledged_events(tmp_path):
    """A real crash: SIGKILL a process in the middle of a stream of saves."""
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}).close()
    child = textwrap.dedent(
        f"""
        import sys
        from gridtui.events import make_event
        from gridtui.store import Store
        s = Store.open({str(folder)!r}, hold_events=False)  # as the app saves
        i = 0
        while True:
            s.append([make_event([10_000 + i, 0], "devK", "W01", "visit", f"V{{i}}", "create",
                                 {{"household": "H1", "note": "x" * 200}})])
            print(i, flush=True)
            i += 1
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True, env=env)
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 120:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s = Store.open(folder, hold_events=False)
    assert {f"V{i}" for i in range(acknowledged + 1)} <= set(s.state.entities["visit"])
    have = {e["eid"] for e in s.events()}
    assert {f"V{i}" for i in range(acknowledged + 1)} <= have
    s.close()


def test_a_damaged_segment_is_an_error_not_an_empty_store(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(3))
    s.append(_events(2, start=3))  # a second record after the first
    s.close()
    seg = store_mod.segment_paths(tmp_path / "s")[-1]
    raw = bytearray(seg.read_bytes())
    raw[40] ^= 0x01  # inside the first record: not a torn tail, the file is damaged
    seg.write_bytes(bytes(raw))
    with pytest.raises(DamagedFile):
        Store.open(tmp_path / "s")
    lock = StoreLock(tmp_path / "s")
    lock.acquire()  # the failed open released its lock: this would raise StoreInUse otherwise
    lock.release()


def test_store_files_are_utf8_and_private(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(1))
    s.close()
    seg = tmp_path / "s" / "events-00001.log"
    assert "住户0".encode("utf-8") in seg.read_bytes()
    if os.name == "posix":
        assert seg.stat().st_mode & 0o077 == 0


def test_callers_get_copies_not_the_stores_own_records(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(2))
    got = s.events()
    got[0]["data"]["head"] = "篡改"
    got.clear()
    assert [e["data"]["head"] for e in s.events()] == ["住户0", "住户1"]
    s.close()


def test_second_open_says_who_holds_the_store(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"})
    with pytest.raises(StoreInUse) as info:
        Store.open(tmp_path / "s")
    assert info.value.pid == os.getpid()
    s.close()
    Store.open(tmp_path / "s").close()


def test_a_crashed_holder_does_not_block_the_next_run(tmp_path):
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}).close()
    code = f"from gridtui.store import Store; s = Store.open({str(folder)!r}); print('held', flush=True); input()"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(StoreInUse) as info:
        Store.open(folder)
    assert info.value.pid == proc.pid
    proc.kill()
    proc.wait()
    assert json.loads((folder / "lock.owner").read_text(encoding="utf-8"))["pid"] == proc.pid  # stale info left
    Store.open(folder).close()  # …but it does not block


# --- encrypted stores ---------------------------------------------------------------------------------


def test_an_encrypted_store_holds_no_plain_text_and_opens_only_with_its_pin(tmp_path):
    from conftest import TEST_PIN, unlock
    from gridtui import vault

    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}, _events(3), pin=TEST_PIN).close()
    for name in ("meta.json", "events-00001.log"):
        raw = (folder / name).read_bytes()
        assert raw.startswith(b"gridtui-enc/1") and "住户0".encode() not in raw and b"W01" not in raw
    with pytest.raises(vault.Locked):
        Store.open(folder)
    with pytest.raises(vault.WrongPin):
        Store.open(folder, unlock=lambda f: vault.unlock(f, "not-the-pin"))
    with Store.open(folder, unlock=unlock) as s:  # the failed opens let go of the lock
        assert _ids(s) == {e["id"] for e in _events(3)} and s.meta["worker"] == "W01" and s.encrypted
        s.append(_events(1, start=3))
    with Store.open(folder, unlock=unlock) as s:
        assert len(s.state.entities["household"]) == 4


def test_an_altered_or_swapped_encrypted_file_is_damaged_not_empty(tmp_path):
    from conftest import TEST_PIN, unlock

    altered, swapped = tmp_path / "altered", tmp_path / "swapped"
    for folder in (altered, swapped):
        Store.create(folder, {"worker": "W01"}, _events(3), pin=TEST_PIN).close()
    with Store.open(altered, unlock=unlock) as s:
        s.append(_events(1, start=3))
    seg = altered / "events-00001.log"
    raw = bytearray(seg.read_bytes())
    raw[60] ^= 1  # in the first of two records
    seg.write_bytes(bytes(raw))
    # A sealed file put in place of another of the same store (same key) does not open either.
    (swapped / "meta.json").write_bytes((swapped / "events-00001.log").read_bytes())
    for folder in (altered, swapped):
        with pytest.raises(DamagedFile):
            Store.open(folder, unlock=unlock)


@pytest.mark.parametrize("hold_events", [True, False])
def test_a_store_written_by_an_older_gridtui_keeps_its_segments_and_goes_on_in_a_log(tmp_path, hold_events):
    from tinydb import TinyDB

    from gridtui.storage import AtomicJSONStorage

    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}).close()
    old = TinyDB(folder / "events-00001.json", storage=AtomicJSONStorage)  # whole-file JSON, as before
    old.insert_multiple(_events(3))
    old.close()
    with Store.open(folder, hold_events=hold_events) as s:
        assert _ids(s) == {e["id"] for e in _events(3)}
        s.append(_events(2, start=3))
        assert len(s.state.entities["household"]) == 5
    assert sorted(p.name for p in store_mod.segment_paths(folder)) == ["events-00001.json", "events-00002.log"]
    with Store.open(folder, hold_events=hold_events) as s:
        assert _ids(s) == {e["id"] for e in _events(5)} and s.loss is None
        assert s.state.entities["household"]["H0"]["head"] == "住户0"


@pytest.mark.parametrize("hold_events", [True, False])
def test_the_unsynced_visit_count_follows_saves_and_the_offices_acknowledgement(tmp_path, hold_events):
    from gridtui.events import make_event

    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(2), hold_events=hold_events)

    def visit(i):
        ms, c = s.clock.tick()
        return make_event([ms, c], s.device, "W01", "visit", f"V{s.device}-{i:x}", "create",
                          {"household": "H0", "mode": "door", "outcome": "met", "note": "", "worker": "W01",
                           "at": "2026-11-20T10:00:00+08:00"})

    first = [visit(1), visit(2)]
    s.append(first)
    assert s.unsynced_visits() == 2
    s.append([visit(3)])
    assert s.unsynced_visits() == 3  # counted on from where it was
    s.update_meta(acked_through=first[-1]["t"])  # the office holds the first two
    assert s.unsynced_visits() == 1
    s.close()
    with Store.open(tmp_path / "s", hold_events=hold_events) as again:
        assert again.unsynced_visits() == 1


def _history_with_late_changes(s):
    """A worker's store as syncs leave it: the roster, the worker's own changes, then the office's
    changes to the same records stamped before them (its clock is behind), and a clash."""
    dev = s.device
    worker = [make_event([5_000 + i, 0], dev, "W01", "household", f"H{i}", "set",
                         {"people": 9, "changed": "2026-11-20T10:00:00+08:00"}, prev={"people": f"devA.{1_000 + i}.0"})
              for i in range(0, 12, 2)]
    office = [make_event([3_000 + i, 0], "office", "office", "household", f"H{i}", "set",
                         {"people": 7, "head": f"户主{i}", "changed": "2026-11-19T10:00:00+08:00"})
              for i in range(0, 12, 3)]
    late_create = make_event([900, 0], "office", "office", "household", "H5", "create",
                             {"building": "B01", "room": "999", "head": "更早的登记", "people": 1})
    s.append(worker)
    s.append(office + [late_create])
    s.append(_events(4, start=20))


def test_the_apps_store_folds_a_segment_at_a_time_to_the_same_state_and_reads_its_events_back(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(12))
    _history_with_late_changes(s)
    s.update_meta(quarantine=[_events(1, start=3)[0]["id"]])  # set aside by an earlier check of the rules
    s.close()
    assert len(store_mod.segment_paths(tmp_path / "s")) > 4
    with Store.open(tmp_path / "s") as whole:
        held_events, held = whole.events(), whole.state
        quarantined = [e["id"] for e in whole.quarantined]
    with Store.open(tmp_path / "s", hold_events=False) as app:
        assert app.state.entities == held.entities
        assert app.state.entities["household"]["H5"]["head"] == "更早的登记"  # the create stamped first wins
        assert "H3" not in app.state.entities["household"] and quarantined == [_events(1, start=3)[0]["id"]]
        assert sorted((c.eid, c.field, c.kept["id"], c.other["id"], c.other["data"][c.field]) for c in app.state.conflicts) \
            == sorted((c.eid, c.field, c.kept["id"], c.other["id"], c.other["data"][c.field]) for c in held.conflicts) != []
        assert app.state.writer_ids("household", "H6", ["people", "head"]) == held.writer_ids("household", "H6", ["people", "head"])
        # Asked for (a sync, an export), the events come from the log as they were written, every time.
        assert app.events() == held_events
        assert [e["id"] for e in app.quarantined] == quarantined
        app.release_events()
        assert app.events() == held_events and [e["id"] for e in app.quarantined] == quarantined
        # Saving goes on, into the tail the storage kept: a change that saw the last one is no clash.
        app.release_events()
        prev = app.state.writer_ids("household", "H6", ["people"])
        app.append([app.new_event("household", "H6", "set", {"people": 4, "changed": "2026-11-21T10:00:00+08:00"})])
        assert app.state.entities["household"]["H6"]["people"] == 4 and prev
        after = app.state
    with Store.open(tmp_path / "s") as again:
        assert again.state.entities == after.entities
        assert len(again.state.conflicts) == len(after.conflicts)


def test_the_apps_store_undoes_a_change_from_the_log(tmp_path):
    from conftest import small_roster
    from gridtui.roster import roster_events

    Store.create(tmp_path / "s", {"worker": "W01", "grid": "G01"}, roster_events(small_roster(), grid="G01")).close()
    with Store.open(tmp_path / "s", hold_events=False) as app:
        changed = app.set_finding_status("F1", "resolved", "已上门修好")
        assert app.state.entities["finding"]["F1"]["status"] == "resolved"
        app.undo(changed)  # what it replaced is read from the log: the app keeps no events
        assert app.state.entities["finding"]["F1"]["status"] == "open"
    with Store.open(tmp_path / "s") as again:
        assert again.state.entities["finding"]["F1"]["status"] == "open"


def test_a_reader_folds_a_segment_at_a_time_and_its_events_are_the_ones_it_folded(tmp_path, monkeypatch):
    from conftest import TEST_PIN, unlock

    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(12), pin=TEST_PIN)
    _history_with_late_changes(s)
    s.close()
    with Store.open(tmp_path / "s", unlock=unlock) as whole:
        held, held_events = whole.state.entities, whole.events()
    reader = Store.open(tmp_path / "s", unlock=unlock, readonly=True)  # no snapshot yet: it folds the log
    assert reader.state.entities == held
    with Store.open(tmp_path / "s", unlock=unlock) as writer:  # a save while the report runs
        writer.append([writer.new_event("household", "H7", "set", {"people": 3, "changed": "2026-11-22T10:00:00+08:00"})])
    # Asked for later, its events are those its state was folded from: one reading of the log, whole.
    assert reader.events() == held_events
    assert reader.state.entities == held
    reader.close()  # it leaves a snapshot of what it read, which the grown log does not match
    with Store.open(tmp_path / "s", unlock=unlock, readonly=True) as again:
        assert again.state.entities["household"]["H7"]["people"] == 3
    with Store.open(tmp_path / "s", unlock=unlock) as whole:
        assert whole.state.entities == again.state.entities


def test_settle_loads_keeps_what_a_pause_built_out_of_the_collector(monkeypatch):
    import gc

    from gridtui import store as store_module

    def built_in_a_pause() -> int:
        before = gc.get_freeze_count()
        with store_module.gc_paused():
            kept = [{"n": i} for i in range(2000)]
        after = gc.get_freeze_count()
        del kept
        return after - before

    try:
        assert built_in_a_pause() == 0  # a test process: nothing is frozen
        monkeypatch.setattr(store_module, "_SETTLE", True)
        assert built_in_a_pause() >= 2000
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_events_let_go_by_an_append_become_its_records_and_come_back_from_the_log_as_written(tmp_path):
    import copy

    from gridtui.events import fold

    s = Store.create(tmp_path / "s", {"office": True}, _events(5))
    late = make_event([1_002, 5], "devB", "W02", "household", "H1", "set", {"people": 9, "changed": "2026-11-21T10:00:00+08:00"})
    batch = _events(4, start=10) + [late]  # new households, and a change stamped before what H1 holds
    written = copy.deepcopy(batch)
    s.append(batch, let_go=True)
    assert s.state.entities["household"]["H11"] is batch[1]["data"]  # made of the event's own data, not a copy
    assert s.state.entities["household"]["H1"]["people"] == 9
    assert s.events() == _events(5) + written  # read back from the log: as written, nothing of the records
    assert s.state.entities == fold(_events(5) + written).entities
    s.append([s.new_event("household", "H11", "set", {"people": 2, "changed": "2026-11-22T10:00:00+08:00"})])
    s.close()
    with Store.open(tmp_path / "s") as again:
        assert again.state.entities["household"]["H11"]["people"] == 2
        assert again.state.entities == fold(again.events()).entities
