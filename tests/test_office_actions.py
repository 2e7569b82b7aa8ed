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
