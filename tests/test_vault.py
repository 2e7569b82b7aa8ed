"""The PIN and the encrypted store: right PIN opens, wrong PIN is refused and slowed down, a changed
PIN leaves the data alone, altered or swapped files are refused, and an old plain store is
encrypted — even when that is cut short half-way."""

from __future__ import annotations

import json

import pytest

from conftest import TEST_PIN, small_roster, unlock
from gridtui import crypto, vault
from gridtui.roster import roster_events
from gridtui.storage import DamagedFile
from gridtui.store import Store


def _store(tmp_path, pin=TEST_PIN, **meta):
    folder = tmp_path / "s"
    Store.create(folder, {"worker": "W01", "grid": "G01", **meta}, roster_events(small_roster(), grid="G01"),
                 pin=pin).close()
    return folder


def test_every_data_file_is_sealed_and_opens_with_the_pin(tmp_path):
    folder = _store(tmp_path)
    files = vault.data_files(folder)
    assert {p.name for p in files} >= {"meta.json", "events-00001.log"}
    for p in files:
        assert crypto.is_sealed(p.read_bytes()), p.name
        assert "张建华".encode() not in p.read_bytes()
    with Store.open(folder, unlock=unlock) as s:
        assert s.state.entities["household"]["H01"]["head"] == "张建华"


def test_a_protected_store_does_not_open_without_a_pin(tmp_path):
    folder = _store(tmp_path)
    with pytest.raises(vault.Locked):
        Store.open(folder)
    Store.open(folder, unlock=unlock).close()  # the refused open left no lock behind


def test_wrong_pin_is_refused_and_counted_then_slowed_down(tmp_path):
    folder = _store(tmp_path)
    clock = [1000.0]
    for i in range(vault.FREE_TRIES):
        with pytest.raises(vault.WrongPin) as exc:
            vault.unlock(folder, "not-the-pin", now=lambda: clock[0])
        assert exc.value.args_["left"] == vault.FREE_TRIES - i - 1
    # Now even the right PIN must wait…
    with pytest.raises(vault.PinWait) as wait:
        vault.unlock(folder, TEST_PIN, now=lambda: clock[0] + 1)
    assert 0 < wait.value.args_["seconds"] <= vault.FIRST_WAIT_S
    # …and once the wait is over, it opens and the count starts again.
    clock[0] += vault.FIRST_WAIT_S + 1
    vault.unlock(folder, TEST_PIN, now=lambda: clock[0])
    assert json.loads((folder / vault.TRIES_FILE).read_text())["failures"] == 0


def test_a_deleted_wrong_pin_record_is_noticed_at_the_next_unlock(tmp_path):
    folder = _store(tmp_path)
    told = []
    Store.on_warning = lambda store, key: told.append(key)
    try:
        Store.open(folder, unlock=unlock).close()  # the store learns the record's mark
        assert told == []
        for _ in range(vault.FREE_TRIES):
            with pytest.raises(vault.WrongPin):
                vault.unlock(folder, "guessing-1357")
        (folder / vault.TRIES_FILE).unlink()  # the thief's way round the waits
        Store.open(folder, unlock=unlock).close()
        assert told == ["pin.record_tampered"]
        Store.open(folder, unlock=unlock).close()  # said once; a new record from then on
        assert told == ["pin.record_tampered"]
    finally:
        Store.on_warning = None


def test_each_further_wrong_pin_waits_longer_up_to_a_limit():
    waits = [vault.wait_seconds(n) for n in range(vault.FREE_TRIES + 8)]
    assert waits[: vault.FREE_TRIES] == [0] * vault.FREE_TRIES
    assert waits == sorted(waits) and waits[-1] == vault.MAX_WAIT_S
    assert len(set(waits[vault.FREE_TRIES:])) > 3


def test_changing_the_pin_rewrites_only_the_key(tmp_path):
    folder = _store(tmp_path)
    before = {p.name: p.read_bytes() for p in vault.data_files(folder)}
    vault.change_pin(folder, vault.unlock(folder, TEST_PIN), "a-new-pin-1357")
    assert {p.name: p.read_bytes() for p in vault.data_files(folder)} == before
    with pytest.raises(vault.WrongPin):
        vault.unlock(folder, TEST_PIN)
    with Store.open(folder, unlock=lambda f: vault.unlock(f, "a-new-pin-1357")) as s:
        assert "H01" in s.state.entities["household"]


def test_short_pins_are_refused(tmp_path):
    with pytest.raises(vault.UserError) as exc:
        _store(tmp_path, pin="12345")
    assert exc.value.key == "pin.too_short"


def test_an_altered_store_file_is_refused_not_read(tmp_path):
    folder = _store(tmp_path)
    for name in ("meta.json", "events-00001.log"):
        path = folder / name
        good = path.read_bytes()
        raw = bytearray(good)
        raw[len(raw) // 2] ^= 0x01
        if name.endswith(".log"):  # a log's record with its checksum put right: only the seal can tell
            import struct
            import zlib

            head = len(crypto.MAGIC) + 4
            payload = bytes(raw[head + 8:])
            raw[head + 4:head + 8] = struct.pack("<I", zlib.crc32(payload))
        path.write_bytes(bytes(raw))
        with pytest.raises(DamagedFile):
            Store.open(folder, unlock=unlock)
        path.write_bytes(good)


def test_a_last_record_that_is_not_whole_is_dropped_and_said_lost(tmp_path):
    folder = _store(tmp_path)
    path = folder / "events-00001.log"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01  # as a torn write leaves it: its checksum fails
    path.write_bytes(bytes(raw))
    with Store.open(folder, unlock=unlock) as s:
        assert s.loss and s.loss["files"] == ["events-00001.log"] and s.event_count == 0


def test_files_cannot_be_swapped_within_a_store(tmp_path, monkeypatch):
    import gridtui.store

    monkeypatch.setattr(gridtui.store, "SEGMENT_SIZE", 5)
    folder = _store(tmp_path)
    first, second = folder / "events-00001.log", folder / "events-00002.log"
    second.write_bytes(first.read_bytes())  # a sealed file, but bound to another name
    with pytest.raises(DamagedFile):
        Store.open(folder, unlock=unlock)


def test_a_wrapped_key_from_another_store_does_not_open_this_one(tmp_path):
    folder = _store(tmp_path)
    other = tmp_path / "other"
    Store.create(other, {"worker": "W02"}, pin=TEST_PIN).close()
    (folder / vault.KEY_FILE).write_bytes((other / vault.KEY_FILE).read_bytes())
    with pytest.raises(DamagedFile):
        Store.open(folder, unlock=unlock)


def _plain_worker_store(tmp_path, monkeypatch):
    import gridtui.store

    monkeypatch.setattr(gridtui.store, "SEGMENT_SIZE", 4)  # several files to convert
    roster = small_roster()
    roster["households"][0]["id_number"] = "110101194501011234"
    folder = tmp_path / "legacy"
    Store.create(folder, {"worker": "W01", "grid": "G01"}, roster_events(roster, grid="G01")).close()
    assert b"110101194501011234" in b"".join(p.read_bytes() for p in vault.data_files(folder))
    return folder


def test_an_old_plain_worker_store_is_encrypted_and_drops_full_id_numbers(tmp_path, monkeypatch):
    folder = _plain_worker_store(tmp_path, monkeypatch)
    with Store.open(folder, unlock=unlock, new_pin=lambda: TEST_PIN) as s:
        assert s.encrypted
        h = s.state.entities["household"]["H01"]
        assert h["id_number"] == "110*************34" and h["head"] == "张建华"
    assert not vault.is_migrating(folder)
    assert all(crypto.is_sealed(p.read_bytes()) for p in vault.data_files(folder))
    with Store.open(folder, unlock=unlock) as s:  # from now on the PIN opens it
        assert s.event_count > 4


def test_encrypting_an_old_store_cut_short_is_finished_at_the_next_unlock(tmp_path, monkeypatch):
    from gridtui import privacy

    folder = _plain_worker_store(tmp_path, monkeypatch)
    events_before = None
    with Store.open(folder) as s:
        events_before = s.event_count
    calls = []

    def dies_on_the_third_file(name, raw):
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the power goes
        return privacy.redact_segment_file(name, raw)

    with pytest.raises(KeyboardInterrupt):
        vault.protect(folder, TEST_PIN, dies_on_the_third_file)
    assert vault.is_migrating(folder)
    sealed = [crypto.is_sealed(p.read_bytes()) for p in vault.data_files(folder)]
    assert any(sealed) and not all(sealed)

    with Store.open(folder, unlock=unlock) as s:
        assert s.event_count == events_before
        assert s.state.entities["household"]["H01"]["id_number"] == "110*************34"
    assert not vault.is_migrating(folder)
    assert all(crypto.is_sealed(p.read_bytes()) for p in vault.data_files(folder))
    raw = b"".join(p.read_bytes() for p in vault.data_files(folder))
    assert b"110101194501011234" not in raw


def test_an_office_store_keeps_full_id_numbers_when_encrypted(tmp_path):
    roster = small_roster()
    roster["households"][0]["id_number"] = "110101194501011234"
    folder = tmp_path / "office"
    Store.create(folder, {"office": True}, roster_events(roster)).close()
    with Store.open(folder, unlock=unlock, new_pin=lambda: TEST_PIN) as s:
        assert s.state.entities["household"]["H01"]["id_number"] == "110101194501011234"


def test_a_damaged_key_file_is_reported_as_damaged(tmp_path):
    folder = _store(tmp_path)
    (folder / vault.KEY_FILE).write_text(json.dumps({"format": "gridtui-key/1"}), encoding="utf-8")
    with pytest.raises(DamagedFile):
        Store.open(folder, unlock=unlock)


@pytest.mark.parametrize("seconds_per_n, target, expected", [
    (1e-9, 0.25, crypto.MAX_LOG_N),  # a fast machine is held to the memory bound
    (1e-6, 0.0, crypto.MIN_LOG_N),  # no time to spare still gets the safe floor
    (1e-3, 0.25, crypto.MIN_LOG_N),  # a very slow machine too
    (2 ** -16 * 0.2, 0.25, 16),  # N = 2^16 takes 0.2 s: the largest within the target
    (2 ** -15 * 0.2, 0.25, 15),  # N = 2^15 takes 0.2 s, 2^16 would take 0.4 s
])
def test_the_scrypt_cost_is_the_largest_within_the_target_and_the_bounds(monkeypatch, seconds_per_n, target,
                                                                         expected):
    monkeypatch.setattr(crypto, "_time_scrypt", lambda log_n: seconds_per_n * 2 ** log_n)
    assert crypto.calibrate(target=target) == expected


def test_the_scrypt_cost_is_measured_here():
    assert crypto.MIN_LOG_N <= crypto.calibrate(target=1e9) == crypto.MAX_LOG_N
