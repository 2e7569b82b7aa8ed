"""A saved visit or finding can be corrected, or a visit voided, as new events: the history keeps the
original, the correction and its author; the office's figures count the corrected values; and the
merge lets only the visit's author correct it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import built_once, unlock
from gridtui import report
from gridtui.home import office_store, real_store
from gridtui.store import Store
from test_sync import Site, cli, now_ms, ok, visit_event
from test_tui import on_screen, started, text_of

TODAY = dt.date.today()
SINCE = dt.date(2026, 11, 1)  # before small_roster()'s own visit, whatever day the suite runs


def _site(root):
    s = Site(root)
    s.record("W01", "H02", [{"role": "safety", "category": "other", "asked": "楼道有杂物"}], note="第一次")
    return s


_site_template, site = built_once("site", _site)


def worker_history(site, household="H02", w="W01") -> dict:
    return json.loads(ok(cli(site.homes[w], "history", household, "--format", "json")).output)


def office_summary(site) -> dict:
    with Store.open(office_store(site.office), unlock=unlock) as s:
        return report.summary(s.state, SINCE, TODAY)["total"]


def test_a_corrected_visit_and_finding_keep_the_original_in_their_history(site):
    (v,) = worker_history(site)["visits"]
    (f,) = v["findings"]
    ok(cli(site.homes["W01"], "visit", "edit", v["short"], "--outcome", "met", "--mode", "phone", "--note", "电话回访"))
    ok(cli(site.homes["W01"], "finding", "edit", f["short"], "--category", "通道堵塞", "--asked", "消防通道被堵"))
    (v2,) = worker_history(site)["visits"]
    (f2,) = v2["findings"]
    assert (v2["mode"], v2["note"]) == ("phone", "电话回访")
    (c,) = v2["history"]
    assert c["by"] == "W01" and c["was"] == {"mode": "door", "note": "第一次"} and "outcome" not in c  # only what changed
    assert (f2["category"], f2["asked"], f2["status"]) == ("blocked_exit", "消防通道被堵", "open")
    (fc,) = f2["history"]
    assert fc["was"] == {"category": "other", "asked": "楼道有杂物"}
    text = ok(cli(site.homes["W01"], "history", "H02")).output
    assert "更正" in text and "楼道有杂物→消防通道被堵" in text and "其他→通道堵塞" in text


def test_a_correction_that_changes_nothing_or_breaks_a_rule_is_one_sentence(site):
    (v,) = worker_history(site)["visits"]
    (f,) = v["findings"]
    res = cli(site.homes["W01"], "visit", "edit", v["short"], "--note", "第一次")
    assert res.exit_code == 2 and "没有改动" in res.output
    res = cli(site.homes["W01"], "visit", "edit", v["short"], "--outcome", "no_answer")  # it has a finding
    assert res.exit_code == 2 and "不能记录发现" in res.output
    res = cli(site.homes["W01"], "finding", "edit", f["short"], "--category", "燃气泄漏啊")
    assert res.exit_code == 2 and "1 飞线充电（ebike_charging）" in res.output
    res = cli(site.homes["W01"], "finding", "edit", f["short"], "--due", "2020-01-01")
    assert res.exit_code == 2 and "2020-01-01" in res.output
    assert worker_history(site)["visits"][0]["history"] == []


def test_corrections_reach_the_office_and_change_its_report(site):
    site.record("W01", "H01", [], note="敲错门了")
    site.sync("W01")
    assert site.merge().skipped == []
    before = office_summary(site)
    assert (before["visits"], before["opened"]) == (3, 2)  # with the roster's own visit and finding
    visits = {v["note"]: v for v in worker_history(site, "H01")["visits"] if v.get("note")}
    ok(cli(site.homes["W01"], "visit", "edit", visits["敲错门了"]["short"], "--void"))
    (v,) = worker_history(site)["visits"]
    ok(cli(site.homes["W01"], "visit", "edit", v["short"], "--void"))  # and this one, with its finding
    site.sync("W01")
    assert site.merge().skipped == []
    after = office_summary(site)
    assert (after["visits"], after["opened"]) == (1, 1)  # the roster's own remain
    findings = json.loads(ok(cli(site.office, "office", "findings", "--format", "json")).output)
    assert [r["id"] for r in findings] == ["F1"]  # a voided visit's finding counts nowhere either
    text = ok(cli(site.homes["W01"], "history", "H02")).output
    assert "【已作废】" in text  # still in the household's history, marked
    res = cli(site.homes["W01"], "visit", "edit", v["short"], "--void")
    assert res.exit_code == 2 and "已经作废" in res.output


def test_only_the_visits_author_may_correct_it(site):
    site.sync("W01")
    assert site.merge().skipped == []
    vid = next(e["eid"] for e in site.my_events("W01").values() if e["kind"] == "visit")
    # W02 is moved to G01 so that H02 is in their grid: still not their visit to correct.
    ok(cli(site.office, "office", "enroll", "W02", "--name", "王建国", "--grid", "G01"))
    dev = site.devices["W02"]
    forged = visit_event(dev, "W02", "H02", now_ms())
    forged.update(op="set", eid=vid, data={"void": True, "changed": "2026-11-25T10:00:00+08:00"})
    site.put(f"W02/{dev}.json", site.seal("W02", dev, [forged]))
    merged = site.merge()
    assert [s.reason for s in merged.skipped] == ["sync.wrong_author"]
    assert not site.office_events().get(forged["id"])


def test_a_correction_may_not_give_a_finding_a_category_of_another_role(site):
    site.sync("W01")
    assert site.merge().skipped == []
    fid = site.finding_of("W01", "H02")
    dev = site.devices["W01"]
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        bad = s.new_event("finding", fid, "set", {"category": "pension", "corrected": True, "changed": s.now_iso()})
        s.append([bad])
    site.sync("W01")
    merged = site.merge()
    assert [x.reason for x in merged.skipped] == ["sync.bad_event"] and dev


@pytest.mark.parametrize("data", [{"corrected": True, "changed": "2026-11-25T10:00:00+08:00"},
                                  {"corrected": True, "void": True, "note": "x", "changed": "2026-11-25T10:00:00+08:00"},
                                  {"note": "x", "changed": "2026-11-25T10:00:00+08:00"},
                                  {"corrected": True, "household": "H01", "changed": "2026-11-25T10:00:00+08:00"}])
def test_the_rules_refuse_a_visit_change_that_is_neither_a_correction_nor_a_void(data):
    from gridtui import rules
    from gridtui.events import make_event

    assert rules.problem(make_event([now_ms(), 0], "cafe0001", "W01", "visit", "Vcafe0001-1", "set", data))


async def test_the_worker_corrects_a_visit_from_the_household_screen(site):
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as store:
        async with started(store) as (app, pilot, keys):
            await keys("enter")
            await on_screen(pilot, "BuildingScreen")
            await keys("down", "enter")  # 302: H02
            await on_screen(pilot, "HouseholdScreen")
            assert app.screen.hid == "H02"
            await keys("e")
            await on_screen(pilot, "PickModal")
            await keys("enter")  # the visit
            await on_screen(pilot, "FormModal")
            await keys("right")  # door → phone
            await keys("ctrl+s")
            await on_screen(pilot, "HouseholdScreen")
            history = text_of(app.screen.query_one("#history"))
            assert "电话 · 见到" in history and "W01 更正" in history and "方式 上门→电话" in history
            await keys("e")
            await on_screen(pilot, "PickModal")
            await keys("down", "enter")  # its finding
            await on_screen(pilot, "FormModal")
            await keys("tab")
            await pilot.press(*"很危险")
            await keys("ctrl+s")
            await on_screen(pilot, "HouseholdScreen")
            assert "楼道有杂物很危险" in text_of(app.screen.query_one("#history"))
    assert worker_history(site)["visits"][0]["mode"] == "phone"


def test_two_corrections_that_did_not_see_each_other_are_a_conflict_like_any_other():
    from gridtui.events import fold, make_event
    from gridtui.office.commands import clashes
    from gridtui.roster import roster_events
    from conftest import small_roster

    base = roster_events(small_roster())
    at = "2026-11-26T10:00:00+08:00"
    seen = fold(base).writer_ids("finding", "F1", ["asked"])  # both saw the roster's finding, not each other
    laptop = make_event([1_795_000_000_000, 0], "d1", "W01", "finding", "F1", "set",
                        {"corrected": True, "asked": "燃气管道老化漏气", "changed": at}, prev=seen)
    office = make_event([1_795_000_000_500, 0], "office", "office", "finding", "F1", "set",
                        {"corrected": True, "asked": "燃气表老化", "changed": at}, prev=seen)
    state = fold(base + [laptop, office])
    (c,) = clashes(state.conflicts)
    assert (c.eid, c.field, c.kept["id"], c.other["id"]) == ("F1", "asked", office["id"], laptop["id"])
    assert state.entities["finding"]["F1"]["asked"] == "燃气表老化"
    history = state.entities["finding"]["F1"]["history"]
    assert [h["was"]["asked"] for h in history if h.get("corrected")] == ["燃气管老化", "燃气管道老化漏气"]
