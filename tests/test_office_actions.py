"""The office can do what a worker can — close with the resident's satisfaction, claim and fulfil a
micro-wish — and a slip of the finger records nothing twice."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import built_once, unlock
from gridtui.cli import main
from gridtui.home import office_store, real_store
from gridtui.store import Store
from test_sync import Site, cli, ok


def _site(root):
    s = Site(root)
    s.record("W01", "H02", [{"role": "service", "category": "micro_wish", "asked": "想要一台收音机"}])
    s.sync("W01")
    assert s.merge().skipped == []
    return s


_site_template, site = built_once("site", _site)


def office_record(site, kind, eid) -> dict:
    with Store.open(office_store(site.office), unlock=unlock) as s:
        return dict(s.state.entities[kind][eid])


def error_line(res) -> str:
    assert res.exit_code == 2, (res.output, res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：") and "Traceback" not in res.output, res.output
    return lines[0]


def test_resolving_twice_adds_no_second_history_line(site):
    assert "已改为 已办结" in ok(cli(site.office, "office", "resolve", "F1", "--note", "已更换")).output
    again = ok(cli(site.office, "office", "resolve", "F1", "--note", "已更换")).output
    assert "已经是 已办结" in again and "没有再记一次" in again
    assert [h["status"] for h in office_record(site, "finding", "F1")["history"]] == ["resolved"]


def test_referring_a_resolved_finding_asks_for_reopen(site):
    ok(cli(site.office, "office", "resolve", "F1", "--note", "已更换"))
    line = error_line(cli(site.office, "office", "refer", "F1", "--to", "物业公司"))
    assert "--reopen" in line and "已办结" in line
    assert office_record(site, "finding", "F1")["status"] == "resolved"
    ok(cli(site.office, "office", "refer", "F1", "--to", "物业公司", "--reopen"))
    rec = office_record(site, "finding", "F1")
    assert (rec["status"], rec["to"]) == ("referred", "物业公司")


def test_the_office_closes_with_the_residents_satisfaction_and_the_worker_sees_it(site):
    ok(cli(site.office, "office", "close", "F1", "--satisfaction", "基本满意", "--note", "回访"))
    rec = office_record(site, "finding", "F1")
    assert (rec["status"], rec["satisfaction"]) == ("closed", "basically")
    ok(cli(site.office, "office", "close", "F1", "--satisfaction", "2"))  # the same, by number: nothing new
    assert len(office_record(site, "finding", "F1")["history"]) == 1
    bad = CliRunner().invoke(main, ["--home", str(site.office), "office", "close", "F1", "--satisfaction", "很好"])
    assert bad.exit_code == 2 and "1 满意（satisfied）" in bad.output
    site.publish()
    site.sync("W01")
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        mine = s.state.entities["finding"]["F1"]
        assert (mine["status"], mine["satisfaction"]) == ("closed", "basically")


def test_the_office_claims_and_fulfils_a_wish_and_its_finding_is_resolved_with_it(site):
    (wish,) = json.loads(ok(cli(site.office, "office", "wish", "list", "--format", "json")).output)
    assert wish["title"] == "想要一台收音机" and "head" not in wish
    listed = ok(cli(site.office, "office", "wish", "list")).output
    assert wish["short"] in listed and "待认领" in listed
    ok(cli(site.office, "office", "wish", "claim", wish["short"], "--by", "爱心企业"))
    rec = office_record(site, "wish", wish["id"])
    assert (rec["state"], rec["claimed_by"]) == ("claimed", "爱心企业")
    ok(cli(site.office, "office", "wish", "fulfil", wish["short"], "--note", "已送到"))
    assert "没有再记一次" in ok(cli(site.office, "office", "wish", "fulfil", wish["short"])).output
    rec = office_record(site, "wish", wish["id"])
    assert rec["state"] == "fulfilled" and [h["state"] for h in rec["history"]] == ["claimed", "fulfilled"]
    assert office_record(site, "finding", rec["finding"])["status"] == "resolved"
    assert "心愿" in error_line(cli(site.office, "office", "wish", "fulfil", "M999999"))


def test_enrolling_under_a_name_other_than_the_rosters_says_so(site):
    res = CliRunner().invoke(main, ["--home", str(site.office), "office", "enroll", "W03", "--name", "李秀",
                                    "--grid", "G01"])
    assert res.exit_code == 0 and "花名册" not in res.stderr  # no roster name for W03: nothing to say
    res = CliRunner().invoke(main, ["--home", str(site.office), "office", "enroll", "W02", "--name", "王建",
                                    "--grid", "G01"])
    assert res.exit_code == 0, res.output
    assert "王建国" in res.stderr and "王建" in res.stderr


# --- the 数据员's proposals ---------------------------------------------------------------------------


def _propose(site, household="H01", **facts) -> str:
    """A data finding proposing ``facts``, recorded on W01's laptop and merged; returns its id."""
    site.record("W01", household, [{"role": "data", "category": "people", "asked": "家里人口有变",
                                   "proposed": facts}])
    site.sync("W01")
    assert site.merge().skipped == []
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        return next(fid for fid, f in s.state.entities["finding"].items() if f.get("proposed") == facts)


def test_a_proposal_accepted_changes_the_household_and_the_worker_sees_it(site):
    fid = _propose(site, "H02", people=4, phone="13811112222")
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    assert (row["finding"], row["household"], row["by"]) == (fid, "H02", "W01")
    assert row["proposed"] == {"people": 4, "phone": "13811112222"} and row["now"] == {"people": 3, "phone": "13900001111"}
    table = ok(cli(site.office, "office", "proposals")).output
    assert row["id"] in table and "人数 3→4" in table and "13811112222" not in table and "待审" in table
    assert "已采纳" in ok(cli(site.office, "office", "proposals", "accept", row["id"])).output
    h = office_record(site, "household", "H02")
    assert (h["people"], h["phone"]) == (4, "13811112222")
    assert ok(cli(site.office, "office", "proposals")).output.strip() == "没有待审的提议。"
    decided = json.loads(ok(cli(site.office, "office", "proposals", "--all", "--format", "json")).output)
    assert [r["outcome"] for r in decided] == ["accepted"]
    assert "已经处理过" in error_line(cli(site.office, "office", "proposals", "reject", row["id"], "--note", "x"))
    site.publish()
    site.sync("W01")
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        assert s.state.entities["household"]["H02"]["people"] == 4
        f = s.state.entities["finding"][fid]
        assert (f["status"], f["proposal"]) == ("resolved", "accepted")


def test_a_proposal_rejected_changes_nothing_but_says_why(site):
    fid = _propose(site, "H02", moved_out=True)
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    res = cli(site.office, "office", "proposals", "reject", row["id"])
    assert res.exit_code == 2 and "缺少选项 '--note'" in res.output  # a rejection says why
    ok(cli(site.office, "office", "proposals", "reject", row["id"], "--note", "已核实，仍在住"))
    assert not office_record(site, "household", "H02").get("moved_out")
    f = office_record(site, "finding", fid)
    assert (f["status"], f["proposal"], f["note"]) == ("closed", "rejected", "已核实，仍在住")
    assert "不是提议" in error_line(cli(site.office, "office", "proposals", "accept", "F1"))


def test_a_worker_cannot_decide_their_own_proposal(site):
    fid = _propose(site, "H02", people=9)
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        forged = s.new_event("finding", fid, "set", {"status": "resolved", "proposal": "accepted", "note": "",
                                                     "changed": s.now_iso()})
        s.append([forged])
    site.sync("W01")
    merged = site.merge()
    assert [x.reason for x in merged.skipped] == ["sync.office_field"]
    assert office_record(site, "finding", fid).get("proposal") is None


# --- doors the roster lacks, households that left ------------------------------------------------------


def test_a_household_found_at_a_door_is_proposed_merged_and_confirmed(site):
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        hid = s.propose_household("B01", {"unit": "1", "room": "601", "head": "新来的", "phone": "13700001234",
                                          "people": "2"})
        s.record_visit({"household": hid, "outcome": "met", "findings": [
            {"role": "service", "category": "repair", "asked": "门锁坏了"}]})  # on the round at once
    site.sync("W01")
    assert site.merge().skipped == []
    h = office_record(site, "household", hid)
    assert (h["room"], h["proposed"], h["floor"]) == ("601", True, 6)
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    assert row["household"] == hid and row["proposed"] == {"new": True}
    assert "花名册上没有" in ok(cli(site.office, "office", "proposals")).output
    ok(cli(site.office, "office", "proposals", "accept", row["id"]))
    assert office_record(site, "household", hid)["proposed"] is False
    site.publish()
    site.sync("W01")
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        assert s.state.entities["household"][hid]["proposed"] is False


def test_a_proposed_household_rejected_leaves_the_rounds(site):
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        hid = s.propose_household("B01", {"room": "302", "head": "刘芳"})  # a duplicate of H02
    site.sync("W01")
    assert site.merge().skipped == []
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    ok(cli(site.office, "office", "proposals", "reject", row["id"], "--note", "与 H02 重复"))
    assert office_record(site, "household", hid)["moved_out"] is True


def test_a_worker_may_propose_households_only_in_their_own_grid_and_never_change_one(site):
    from gridtui.events import make_event
    from test_sync import now_ms

    dev = site.devices["W01"]
    base = {"building": "B02", "room": "901", "head": "某人", "proposed": True}  # B02 is G02's
    foreign = make_event([now_ms(), 0], dev, "W01", "household", f"H{dev}-1", "create", base)
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [foreign]))
    assert [x.reason for x in site.merge().skipped] == ["sync.outside_grid"]
    for data in ({**base, "building": "B01", "proposed": False}, {**base, "building": "B01", "moved_out": True}):
        e = make_event([now_ms(), 1], dev, "W01", "household", f"H{dev}-2", "create", data)
        site.put(f"W01/{dev}.json", site.seal("W01", dev, [e]))
        assert [x.reason for x in site.merge().skipped] == ["sync.forbidden_kind"]
    change = make_event([now_ms(), 2], dev, "W01", "household", "H01", "set", {"head": "别人", "changed": "2026-11-25T10:00:00+08:00"})
    site.put(f"W01/{dev}.json", site.seal("W01", dev, [change]))
    assert [x.reason for x in site.merge().skipped] == ["sync.forbidden_kind"]


def test_moved_out_proposed_from_the_building_screen_is_accepted_by_the_office(site):
    with Store.open(real_store(site.homes["W01"]), unlock=unlock) as s:
        fid = s.propose_moved_out("H01")
    site.sync("W01")
    assert site.merge().skipped == []
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    assert row["finding"] == fid and row["proposed"] == {"moved_out": True}
    ok(cli(site.office, "office", "proposals", "accept", row["id"]))
    assert office_record(site, "household", "H01")["moved_out"] is True


def test_a_tags_proposal_accepted_sets_the_households_tags(site):
    _propose(site, "H02", tags=["elderly_alone", "low_income"])
    (row,) = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    assert "标签 -→独居老人、低保" in ok(cli(site.office, "office", "proposals")).output
    ok(cli(site.office, "office", "proposals", "accept", row["id"]))
    assert office_record(site, "household", "H02")["tags"] == ["elderly_alone", "low_income"]


def test_a_worker_proposes_from_the_command_line(site):
    res = ok(cli(site.homes["W01"], "visit", "add", "--household", "H02", "--outcome", "met",
                 "--propose", "people=5", "--propose", "tags=独居老人"))
    assert "1 条发现" in res.output
    bad = cli(site.homes["W01"], "visit", "add", "--household", "H02", "--outcome", "met", "--propose", "age=5")
    assert bad.exit_code == 2 and "people（人数）" in bad.output
    site.sync("W01")
    assert site.merge().skipped == []
    rows = json.loads(ok(cli(site.office, "office", "proposals", "--format", "json")).output)
    assert [r["proposed"] for r in rows] == [{"people": 5, "tags": ["elderly_alone"]}]
