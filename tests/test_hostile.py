"""The merge as the server: attacks by a worker holding only their own key, and by a stranger
holding only the USB stick. Each attack is refused with its reason, the honest files beside it are
merged, nothing the office held changes, and every command still runs afterwards.

W02 (grid G02, household H03) is the attacker; W01 (grid G01: H01, H02, and the roster's F1) the
victim. Real folders, real commands (see test_sync.Site).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from conftest import built_once, unlock
from gridtui import crypto
from gridtui.events import make_event
from gridtui.sync import envelope
from gridtui.home import office_store, real_store
from gridtui.store import Store
from test_sync import CREATED, Site, cli, now_ms, ok, visit_event

DAY = 86_400_000


def honest_site(root):
    s = Site(root)
    # An honest round first: W01 has a finding of its own, merged and published.
    s.record("W01", "H01", [{"role": "service", "category": "repair", "asked": "水管漏水"}], note="第一次")
    s.sync("W01")
    assert s.merge().skipped == []
    s.publish()
    s.sync("W01")
    return s


_site_template, site = built_once("site", honest_site)


def w02_file(site, events, device=None, name=None) -> str:
    """Put a file sealed with W02's own key in W02's folder; returns its name below to-office/."""
    device = device or site.devices["W02"]
    rel = name or f"W02/{device}.json"
    site.put(rel, site.seal("W02", device, events))
    return rel


def honest_w01(site) -> set[str]:
    """W01 records and syncs a visit: the file that must be merged beside the attack."""
    new = set(site.record("W01", "H02", note="诚实的记录"))
    site.sync("W01")
    return new


def attacked(site, make_events, reason, **kw):
    """Run one attack beside an honest file; check it is refused with ``reason`` and changes nothing."""
    honest = honest_w01(site)
    before = site.office_events()
    rel = w02_file(site, make_events(site), **kw)
    report = site.merge()
    assert [(s.name, s.reason) for s in report.skipped] == [(rel, reason)], report.skipped
    after = site.office_events()
    assert set(after) == set(before) | honest  # the honest file merged, nothing else
    assert all(after[i] == e for i, e in before.items())
    return report


def office_file_of(site, worker) -> dict:
    from gridtui.sync import envelope

    obj = envelope.parse((site.shared / "to-worker" / f"{worker}.json").read_bytes()).obj
    whole, problem = envelope.unseal(obj, site.keys[worker])
    assert problem is None
    return whole


def commands_still_run(site):
    """What the issue saw crash after a bad merge: every office report, the publish, the worker's list."""
    for args in (("office", "findings"), ("office", "report"), ("office", "needs"), ("office", "quarantine")):
        res = cli(site.office, *args)
        assert res.exit_code == 0 and "Traceback" not in res.output, (args, res.output)
    ok(cli(site.office, "office", "export", "--to", site.root / "export"))
    site.publish()
    for w in ("W01", "W02"):
        site.sync(w)
        res = cli(site.homes[w], "households")
        assert res.exit_code == 0 and "Traceback" not in res.output, res.output


def finding_create(dev, by, fid, vid, household, ms, **over):
    data = {"role": "safety", "category": "gas", "asked": "燃气味", "action": "", "triage": "routine",
            "due": None, "visit": vid, "household": household, "at": CREATED, "status": "open", **over}
    return make_event([ms, 1], dev, by, "finding", fid, "create", data)


def visit_and_finding(site, household="H03", **over):
    dev, ms = site.devices["W02"], now_ms()
    v = visit_event(dev, "W02", household, ms)
    f = finding_create(dev, "W02", f"F{dev}-{ms:x}1", v["eid"], household, ms, **over)
    return v, f


# --- 1. taking over another grid's records --------------------------------------------------------


def test_a_second_create_of_a_roster_record_is_refused_and_publishes_nothing_foreign(site):
    def make(site):
        v, _ = visit_and_finding(site)
        dev = site.devices["W02"]
        # F1 is the roster's finding on H01 (G01); the attacker names its own household H03.
        grab = finding_create(dev, "W02", "F1", v["eid"], "H03", now_ms() + 5)
        return [v, grab]

    attacked(site, make, "sync.foreign_id")
    site.publish()
    w02 = office_file_of(site, "W02")
    assert not any(e["eid"] == "F1" or e["data"].get("household") in ("H01", "H02") for e in w02["events"])


def test_two_creates_of_one_new_record_in_one_merge_are_refused(site):
    # Neither is held yet: the merge must see that two different events both create the record.
    def make(site):
        v, f = visit_and_finding(site)
        again = copy.deepcopy(f)
        again["t"] = [f["t"][0] + 10, 0]
        again["id"] = f"{f['dev']}.{again['t'][0]}.0"
        again["data"]["asked"] = "改写"
        return [v, f, again]

    attacked(site, make, "sync.record_exists")


def test_a_create_in_its_own_namespace_of_an_existing_record_is_refused(site):
    v, f = visit_and_finding(site)
    w02_file(site, [v, f])
    assert site.merge().skipped == []

    def make(site):
        again = copy.deepcopy(f)
        again["t"] = [f["t"][0] + 10, 0]
        again["id"] = f"{f['dev']}.{again['t'][0]}.0"
        again["data"]["asked"] = "改写"
        return [v, f, again]

    attacked(site, make, "sync.record_exists")


def test_the_fold_never_lets_a_second_create_overwrite_a_record():
    from gridtui.events import fold

    first = make_event([1, 0], "a", "W01", "finding", "F1", "create", {"household": "H01", "asked": "原来的"})
    second = make_event([0, 5], "b", "W02", "finding", "F1", "create", {"household": "H03", "asked": "抢来的"})
    later = make_event([9, 0], "b", "W02", "finding", "F1", "create", {"household": "H03", "asked": "又抢"})
    for events in ([first, later], [later, first]):
        assert fold(events).entities["finding"]["F1"]["asked"] == "原来的"
    # The earliest create wins, whoever wrote it: the merge refuses creates outside the author's namespace.
    assert fold([first, second]).entities["finding"]["F1"]["asked"] == "抢来的"


# --- 2. moving a record into another grid ----------------------------------------------------------------


def test_a_change_of_a_records_household_is_refused(site):
    def make(site):
        v, f = visit_and_finding(site)
        move = make_event([now_ms() + 9, 0], site.devices["W02"], "W02", "finding", f["eid"], "set",
                          {"household": "H01"})
        return [v, f, move]

    report = attacked(site, make, "sync.bad_event")
    assert report.skipped[0].args["why"] == "household"


def test_a_change_of_a_finding_in_another_grid_is_refused(site):
    fid = site.finding_of("W01", "H01")
    attacked(site, lambda s: [make_event([now_ms(), 0], s.devices["W02"], "W02", "finding", fid, "set",
                                         {"status": "closed", "note": "不是我的"})], "sync.outside_grid")


def test_a_finding_linked_to_a_visit_of_another_household_is_refused(site):
    def make(site):
        dev, ms = site.devices["W02"], now_ms()
        theirs = next(i for i, e in site.office_events().items() if e["kind"] == "visit" and e["by"] == "W01")
        visit_eid = site.office_events()[theirs]["eid"]
        return [finding_create(dev, "W02", f"F{dev}-{ms:x}1", visit_eid, "H03", ms)]

    attacked(site, make, "sync.bad_link")


# --- 3. values no command can read ---------------------------------------------------------------------

BAD_VALUES = {
    "due-not-a-date": lambda v, f: f["data"].update(due="not-a-date"),
    "at-yesterday": lambda v, f: v["data"].update(at="yesterday"),
    "unknown-role": lambda v, f: f["data"].update(role="spy"),
    "unknown-category": lambda v, f: f["data"].update(category="ebike_charging"),  # a safety category on info
    "unknown-outcome": lambda v, f: v["data"].update(outcome="burgled"),
    "unknown-status": lambda v, f: f["data"].update(status="done"),
    "list-note": lambda v, f: v["data"].update(note=["=HYPERLINK(\"http://x\")"]),
    "object-household": lambda v, f: v["data"].update(household={"$ne": None}),
    "huge-text": lambda v, f: f["data"].update(asked="长" * 100_000),
    "control-chars": lambda v, f: v["data"].update(note="\x1b]0;owned\x07\x1b[2J"),
    "bool-as-number": lambda v, f: f["data"].update(proposed={"people": True}, role="data", category="people"),
    "extra-key": lambda v, f: f.update(sneaky="x" * 1000),
    "list-kind": lambda v, f: f.update(kind=["finding"]),  # unhashable where a name belongs: once a TypeError
    "object-op": lambda v, f: v.update(op={"create": True}),
}


@pytest.mark.parametrize("spoil", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_a_value_the_app_cannot_have_written_refuses_the_file(site, spoil):
    def make(site):
        v, f = visit_and_finding(site)
        if spoil == "unknown-category":
            f["data"]["role"] = "info"
        BAD_VALUES[spoil](v, f)
        return [v, f]

    attacked(site, make, "sync.bad_event")
    commands_still_run(site)


def test_a_visit_in_someone_elses_name_is_refused(site):
    def make(site):
        v = visit_event(site.devices["W02"], "W02", "H03", now_ms())
        v["data"]["worker"] = "W01"
        return [v]

    attacked(site, make, "sync.wrong_author")


# --- 4. no key at all: files that used to stop every merge --------------------------------------------

NO_KEY_FILES = {
    "deeply-nested": b"[" * 200_000 + b"]" * 200_000,
    "nested-object": b'{"format":"gridtui-sync/2","worker":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    "huge-number": b'{"format":"gridtui-sync/2","worker":' + b"9" * 100_000 + b"}",
    "non-ascii-hmac": json.dumps({"format": "gridtui-sync/1", "worker": "W02", "device": "d", "created": "",
                                  "events": [], "hmac": "密钥"}, ensure_ascii=False).encode(),
    "household-object": b'{"format":"gridtui-sync/2","worker":"W02","device":"cafe","created":"",'
                        b'"nonce":{"household":1},"sealed":""}',
    "non-ascii-nonce": '{"format":"gridtui-sync/2","worker":"W02","device":"cafe","created":"","nonce":"é",'
                       '"sealed":"é"}'.encode(),
    "nul-bytes": b"\x00" * 10_000,
    "lone-surrogate": b'{"format":"gridtui-sync/2","worker":"\\ud800","device":"a","created":"","nonce":"","sealed":""}',
}


@pytest.mark.parametrize("kind", list(NO_KEY_FILES), ids=list(NO_KEY_FILES))
def test_a_planted_file_without_any_key_never_stops_the_merge(site, kind):
    honest = honest_w01(site)
    site.put("W02/planted.json", NO_KEY_FILES[kind])
    res = site.merge_cli()
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert [ln for ln in res.output.splitlines() if ln.startswith("跳过")][0].startswith("跳过 W02/planted.json：")
    assert honest <= site.office_events().keys()


@pytest.mark.parametrize("kind", list(NO_KEY_FILES), ids=list(NO_KEY_FILES))
def test_a_planted_office_file_never_stops_the_workers_sync(site, kind):
    (site.shared / "to-worker" / "W01.json").write_bytes(NO_KEY_FILES[kind])
    res = cli(site.homes["W01"], "sync")
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    assert "未读取办公室文件" in res.output


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize("plant", ["fifo", "dev-zero", "link-outside"])
def test_links_fifos_and_devices_are_never_read(site, plant, tmp_path):
    honest = honest_w01(site)
    targets = [site.path("W02/planted.json"), site.shared / "to-worker" / "W01.json"]
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        if plant == "fifo":
            os.mkfifo(path)
        else:
            os.symlink("/dev/zero" if plant == "dev-zero" else office_store(site.office) / "key.json", path)
    done: list = []
    worker = threading.Thread(target=lambda: done.extend([site.merge_cli(), cli(site.homes["W01"], "sync")]),
                              daemon=True)
    worker.start()
    worker.join(60)
    assert len(done) == 2, "a merge or sync hung on a planted file"
    merged, synced = done
    assert merged.exit_code == 1 and "跳过 W02/planted.json：不是普通文件" in merged.output, merged.output
    assert honest <= site.office_events().keys()
    assert synced.exit_code == 0 and "未读取办公室文件：不是普通文件" in synced.output, synced.output


def test_a_planted_file_too_large_is_refused_before_it_is_read(site, monkeypatch):
    huge = site.path("W02/huge.json")
    huge.parent.mkdir(parents=True, exist_ok=True)
    with open(huge, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk
    opened = []
    real = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **kw: opened.append(Path(path)) or real(path, *a, **kw))
    report = site.merge()
    assert [(s.name, s.reason) for s in report.skipped] == [("W02/huge.json", "sync.too_large")]
    assert huge not in opened  # never even opened: its size said enough


# --- 5. symlinks where the office writes ---------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_link_planted_where_publish_writes_never_overwrites_the_office_key(site):
    key = office_store(site.office) / "key.json"
    before = key.read_bytes()
    target = site.shared / "to-worker" / "W01.json"
    target.unlink()
    target.symlink_to(key)
    site.publish()
    assert key.read_bytes() == before
    assert not target.is_symlink() and target.stat().st_size > 0  # the link itself was replaced
    ok(cli(site.office, "office", "findings"))  # the office data still opens


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_to_worker_folder_that_is_a_link_is_refused_in_one_sentence(site):
    import shutil

    shutil.rmtree(site.shared / "to-worker")
    (site.shared / "to-worker").symlink_to(office_store(site.office))
    before = {p.name: p.read_bytes() for p in office_store(site.office).iterdir() if p.is_file()}
    res = cli(site.office, "office", "publish", "--shared", site.shared)
    assert res.exit_code == 2 and "是一个链接而不是文件夹" in res.output and "Traceback" not in res.output
    after = {p.name: p.read_bytes() for p in office_store(site.office).iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k in before and not k.startswith(("meta", "lock"))} == \
        {k: v for k, v in before.items() if not k.startswith(("meta", "lock"))}
    assert not (office_store(site.office) / "W01.json").exists()


def test_temp_files_get_unpredictable_names(tmp_path, monkeypatch):
    from gridtui import atomic

    names = []
    real = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: names.append(Path(a).name) or real(a, b))
    for _ in range(2):
        atomic.write_atomic(tmp_path / "x.json", b"{}")
    assert len(set(names)) == 2 and all(str(os.getpid()) not in n for n in names)


# --- 6. the office's decision stands whatever a laptop's clock says ------------------------------------------


def test_the_office_resolves_a_finding_from_a_laptop_a_year_ahead(site):
    year = 365 * DAY
    with Store.open(real_store(site.homes["W01"]), unlock=unlock, clock_ms=lambda: now_ms() + year) as s:
        vid = s.record_visit({"household": "H02", "outcome": "met",
                              "findings": [{"role": "safety", "category": "gas", "asked": "燃气味很重"}]})
        fid = next(f for f, rec in s.state.entities["finding"].items() if rec["visit"] == vid)
    site.sync("W01")
    assert [f.reason for f in site.merge().flags] == ["sync.flag_future"] * 2
    res = ok(cli(site.office, "office", "resolve", fid, "--note", "已联系燃气公司"))
    assert "已办结" in res.output
    status = lambda: json.loads(ok(cli(site.office, "office", "findings", "--format", "json")).output)  # noqa: E731
    assert next(r for r in status() if r["id"] == fid)["status"] == "resolved"
    # The laptop's clock is fixed; it syncs again (its old events keep their stamps): still resolved.
    site.sync("W01")
    site.merge()
    site.publish()
    site.sync("W01")
    assert next(r for r in status() if r["id"] == fid)["status"] == "resolved"
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        assert s.state.entities["finding"][fid]["status"] == "resolved"


# --- 7. loss and rollback in the store ---------------------------------------------------------------------


def test_a_deleted_segment_is_reported_and_the_next_merge_reads_every_file_again(site, monkeypatch):
    from gridtui import store as store_mod

    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    honest = honest_w01(site)
    assert site.merge().skipped == []
    folder = office_store(site.office)
    # Make sure the newest segment holds merged worker events, then lose it.
    newest = sorted(folder.glob("events-*.log"))[-1]
    with Store.open(folder, unlock=unlock) as s:
        n_before = s.event_count
    newest.unlink()
    res = cli(site.office, "office", "findings")
    assert res.exit_code == 0
    assert "本机数据少了" in res.stderr and newest.name in res.stderr
    again = site.merge()
    assert again.recovered and again.unchanged == 0
    assert honest <= site.office_events().keys()
    with Store.open(folder, unlock=unlock) as s:
        assert s.loss is None and s.event_count <= n_before


def test_a_worker_who_lost_a_segment_gets_unsynced_visits_back_from_their_own_file(site, monkeypatch):
    from gridtui import store as store_mod

    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    home = site.homes["W01"]
    new = set(site.record("W01", "H02", note="还没合并的记录"))
    site.sync("W01")  # on the stick, not merged by the office yet
    folder = real_store(home)
    with Store.open(folder, unlock=unlock) as s:
        s.append([])  # nothing; the manifest is already there
    for seg in sorted(folder.glob("events-*.log"))[1:]:
        seg.unlink()
    res = cli(home, "households")
    assert "本机数据少了" in res.stderr
    site.sync("W01")
    with Store.open(folder, unlock=unlock) as s:
        assert new <= {e["id"] for e in s.iter_events()} and s.loss is None
    assert site.merge().skipped == [] and new <= site.office_events().keys()


def test_an_old_copy_of_the_office_ledger_is_refused(site):
    ledger = office_store(site.office) / "office.json"
    old = ledger.read_bytes()
    ok(cli(site.office, "office", "rekey", "W02"))
    ledger.write_bytes(old)  # put back the copy that still holds W02's revoked key
    for args in (("office", "merge", "--shared", site.shared), ("office", "publish", "--shared", site.shared)):
        res = cli(site.office, *args)
        assert res.exit_code == 2 and "office.json 比本机数据记录的旧" in res.output, res.output
    ledger.unlink()
    assert "office.json 比本机数据记录的旧" in cli(site.office, "office", "publish", "--shared", site.shared).output


# --- 8. smaller: what reaches the office's terminal, directions, devices, litter --------------------------


def test_escape_sequences_in_names_and_headers_never_reach_the_terminal(site):
    site.put("W02/\x1b[31mevil\x1b[0m.json", b"{}")
    site.put("W02/x.json", json.dumps({"format": "gridtui-sync/2", "worker": "W\x1b]0;pwned\x07",
                                       "device": "d", "created": "", "nonce": "", "sealed": ""}).encode())
    res = site.merge_cli()
    assert "\x1b" not in res.output and "\x07" not in res.output and res.exit_code == 1


def test_an_office_file_is_not_taken_as_a_workers_file_nor_the_other_way(site):
    office_file = (site.shared / "to-worker" / "W02.json").read_bytes()
    site.put("W02/office.json", office_file)
    report = site.merge()
    assert [(s.name, s.reason) for s in report.skipped] == [("W02/office.json", "sync.wrong_direction")]
    own = site.path(site.rel("W01")).read_bytes()
    (site.shared / "to-worker" / "W01.json").write_bytes(own)
    res = site.sync("W01")
    assert "这是办公室发给网格员的文件" in res.output


def test_a_worker_cannot_write_under_another_workers_device(site):
    def make(site):
        dev = site.devices["W01"]
        return [visit_event(dev, "W02", "H03", now_ms())]

    attacked(site, make, "sync.device_of_other", device=site.devices["W01"], name=f"W02/{site.devices['W01']}.json")


@pytest.mark.parametrize("litter", [".DS_Store", "desktop.ini", "Thumbs.db", "._a1b2c3d4.json", ".stfolder"])
def test_operating_system_litter_is_ignored_silently(site, litter):
    honest_w01(site)
    site.put(f"W01/{litter}", b"\x00\x05\x16\x07 Mac OS X")
    (site.shared / "to-office" / ".Trashes").mkdir()
    res = site.merge_cli()
    assert res.exit_code == 0 and "跳过文件 0 个" in res.output, res.output


# --- what older versions let in is set aside when the store is opened ---------------------------------------


def test_events_an_older_version_took_are_quarantined_listed_and_crash_nothing(site):
    folder = office_store(site.office)
    dev, ms = site.devices["W02"], now_ms()
    v = visit_event(dev, "W02", "H03", ms)
    bad_due = finding_create(dev, "W02", f"F{dev}-{ms:x}1", v["eid"], "H03", ms, due="not-a-date")
    moved = make_event([ms + 5, 0], dev, "W02", "finding", site.finding_of("W01", "H01"), "set", {"household": "H03"})
    with Store.open(folder, unlock=unlock) as s:
        s.append([v, bad_due, moved])  # as the merge of an older gridtui did, unchecked
        s.update_meta(rules=0)
    res = ok(cli(site.office, "office", "quarantine"))
    assert res.output.startswith("2 条记录不符合现行规则，已搁置")
    assert bad_due["id"] in res.output and moved["id"] in res.output and "value:due" in res.output
    with Store.open(folder, unlock=unlock) as s:
        assert v["eid"] in s.state.entities["visit"] and bad_due["eid"] not in s.state.entities["finding"]
        assert s.state.entities["finding"][site.finding_of("W01", "H01")]["household"] == "H01"
        assert s.meta["rules"] >= 1  # checked once; from now on by id
    commands_still_run(site)
    assert "没有被搁置的记录" in ok(cli(site.homes["W01"], "quarantine")).output


async def test_after_an_attack_the_workers_app_walks_every_screen(site):
    from test_tui import Keys, on_screen, open_household, rows

    from gridtui.tui.app import GridApp

    # A mix of refused attacks and what the attacker may legitimately add, merged and published.
    v, f = visit_and_finding(site, category="other", asked="[/] [red]标记[/red] 不是格式")
    w02_file(site, [v, f])
    site.put("W02/deep.json", NO_KEY_FILES["deeply-nested"])
    site.merge()
    site.publish()
    site.sync("W02")
    with Store.open(real_store(site.homes["W02"]), unlock=unlock) as s:
        app = GridApp(s, cycle="month")
        async with app.run_test(size=(80, 24)) as pilot:
            keys = Keys(pilot)
            await on_screen(pilot, "BuildingsScreen")
            await open_household(pilot, keys)
            for key, screen in (("f", "FollowupsScreen"), ("w", "WishesScreen"), ("g", "SummaryScreen")):
                await keys(key)
                await on_screen(pilot, screen)
                if screen == "FollowupsScreen":  # the attacker's own finding, its words shown as typed
                    assert any("[/] [red]" in " ".join(r) for r in rows(app, "followups"))
            await keys("escape")


# --- sync/3: a stolen worker key reads only that worker's own grid, and cannot pose as a laptop ------------


def test_a_stolen_key_cannot_pose_as_the_workers_laptop(site):
    dev = site.devices["W01"]
    forged = visit_event(dev, "W01", "H02", now_ms(), note="拿到密钥的人写的")
    impostor = crypto.new_signing_key()  # the thief has W01's key, not the laptop's signing key
    site.put(site.rel("W01"), envelope.seal_to_office("W01", dev, CREATED, [forged], site.keys["W01"],
                                                      site.office_key(), *impostor))
    report = site.merge()
    assert [(s.name, s.reason) for s in report.skipped] == [(site.rel("W01"), "sync.device_key_changed")]
    # …nor fall back to the old format the laptop no longer uses
    site.put(site.rel("W01"), site.seal_v2("W01", dev, [forged]))
    assert [s.reason for s in site.merge().skipped] == ["sync.downgrade"]
    # …nor bring in a device of its own in the old format
    site.put("W01/beef0009.json", site.seal_v2("W01", "beef0009", [visit_event("beef0009", "W01", "H02", now_ms())]))
    assert "sync.v2_new_device" in [s.reason for s in site.merge().skipped]
    assert forged["id"] not in site.office_events()


def test_an_old_laptop_on_the_old_format_is_taken_until_the_end_date(site, monkeypatch):
    from gridtui.office import commands

    dev = "cafe0099"  # a laptop the office knows from before sync/3 (its visits are already merged)
    first = visit_event(dev, "W01", "H02", now_ms())
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [first]))
    assert site.merge().skipped == []
    with site.ledger() as ledger:  # as if it had never sent a /3 file: no key bound yet
        ledger.db.table("devices").remove(lambda d: d["device"] == dev)
    later = visit_event(dev, "W01", "H01", now_ms() + 1)
    site.put(f"W01/{dev}.json", site.seal_v2("W01", dev, [first, later]))
    assert site.merge().skipped == [] and later["id"] in site.office_events()
    monkeypatch.setattr(commands, "_v2_until_ms", lambda: now_ms() - 1)  # after the end date
    site.put(f"W01/{dev}.json", site.seal_v2("W01", dev, [first, later, visit_event(dev, "W01", "H01", now_ms() + 2)]))
    assert [s.reason for s in site.merge().skipped] == ["sync.v2_expired"]


def test_a_laptop_refuses_an_office_file_with_another_office_key(site):
    forged = envelope.seal_to_worker("W01", CREATED, [], site.keys["W01"], ack={},
                                     office_key=base64.b64encode(crypto.new_box_key()[1]).decode())
    (site.shared / "to-worker" / "W01.json").write_bytes(forged)  # someone with W01's key posing as the office
    res = cli(site.homes["W01"], "sync")
    assert res.exit_code == 2 and "办公室公钥" in res.output
