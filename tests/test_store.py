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
    assert len(list((tmp_path / "s").glob("events-*.json"))) == 3
    s = Store.open(tmp_path / "s")
    assert _ids(s) == {e["id"] for e in _events(13)}
    assert len(s.state.entities["household"]) == 13
    s.close()


def test_a_write_interrupted_before_the_rename_leaves_every_saved_event(tmp_path, monkeypatch):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(10))
    saved = _ids(s)

    def power_cut(*_a):
        raise OSError(errno.EIO, "power cut")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        s.append(_events(1, start=10))
    assert _ids(s) == saved  # nothing half-applied in memory either
    monkeypatch.undo()
    s.close()
    reopened = Store.open(tmp_path / "s")
    assert _ids(reopened) == saved
    reopened.close()


def test_a_process_killed_while_saving_leaves_a_store_that_opens_with_all_acknowledged_events(tmp_path):
    """A real crash: SIGKILL a process in the middle of a stream of saves."""
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01"}).close()
    child = textwrap.dedent(
        f"""
        import sys
        from gridtui.events import make_event
        from gridtui.store import Store
        s = Store.open({str(folder)!r})
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
    s = Store.open(folder)
    have = {e["eid"] for e in s.events()}
    assert {f"V{i}" for i in range(acknowledged + 1)} <= have
    s.close()


def test_a_damaged_segment_is_an_error_not_an_empty_store(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(3))
    s.close()
    seg = tmp_path / "s" / "events-00001.json"
    seg.write_bytes(seg.read_bytes()[:-20])
    with pytest.raises(DamagedFile):
        Store.open(tmp_path / "s")
    lock = StoreLock(tmp_path / "s")
    lock.acquire()  # the failed open released its lock: this would raise StoreInUse otherwise
    lock.release()


def test_store_files_are_utf8_and_private(tmp_path):
    s = Store.create(tmp_path / "s", {"worker": "W01"}, _events(1))
    s.close()
    seg = tmp_path / "s" / "events-00001.json"
    assert "住户0" in seg.read_text(encoding="utf-8")
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
    for name in ("meta.json", "events-00001.json"):
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
    seg = altered / "events-00001.json"
    raw = bytearray(seg.read_bytes())
    raw[-1] ^= 1
    seg.write_bytes(bytes(raw))
    # A sealed file put in place of another of the same store (same key) does not open either.
    (swapped / "meta.json").write_bytes((swapped / "events-00001.json").read_bytes())
    for folder in (altered, swapped):
        with pytest.raises(DamagedFile):
            Store.open(folder, unlock=unlock)
