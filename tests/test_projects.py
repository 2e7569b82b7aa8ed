"""The 10件实事 pipeline (issue 16): needs become candidates, the chosen ones are tracked, and a
project done sends every household that asked a follow-up for its worker."""

from __future__ import annotations

import json

import pytest

from conftest import unlock
from gridtui.home import office_store
from gridtui.store import Store
from test_report import PERIOD, cli, init_office, ok


@pytest.fixture
def home(tmp_path):
    return init_office(tmp_path / "home")


def projects(home, *args):
    return json.loads(ok(cli(home, "office", "projects", "list", "--format", "json", *args)).stdout)


def test_needs_become_candidates_once_and_a_done_project_asks_every_household_back(home):
    ok(cli(home, "office", "projects", "propose", "--from-needs", "--top", "3", *PERIOD))
    rows = projects(home)
    # The top need: 安全员·电动车充电, asked by H02, H03 and H07 (F02, F04, F06, F07).
    top = next(r for r in rows if r["category"] == "ebike_charging")
    assert top["state"] == "candidate" and top["households"] == 3 and top["title"].startswith("安全员·")
    assert len(rows) == 3
    ok(cli(home, "office", "projects", "propose", "--from-needs", "--top", "3", *PERIOD))
    assert len(projects(home)) == 3  # proposing again adds nothing for the same needs
    pid = top["short"]
    res = cli(home, "office", "projects", "done", pid, "--note", "已装充电桩")
    assert res.exit_code != 0 and "候选" in res.output  # not chosen yet: cannot be done
    ok(cli(home, "office", "projects", "adopt", pid, "--note", "居民议事会表决通过"))
    ok(cli(home, "office", "projects", "progress", pid, "--note", "选址完成", "--percent", "40"))
    chosen = projects(home, "--chosen")
    assert [(r["state"], r["progress"], r["note"]) for r in chosen] == [("in_progress", 40, "选址完成")]
    report = ok(cli(home, "office", "report", *PERIOD[:2])).stdout  # up to today: the project's progress
    assert "10件实事" in report and "40%" in report
    res = ok(cli(home, "office", "projects", "done", pid, "--note", "小区内安装充电桩 20 个"))
    assert "3 户" in res.output
    with Store.open(office_store(home), unlock=unlock, readonly=True) as s:
        made = [f for f in s.state.entities["finding"].values() if "回访：实事项目" in f["asked"]]
        assert sorted(f["household"] for f in made) == ["H02", "H03", "H07"]
        assert all(f["status"] == "open" and f["role"] == "safety" and f["due"] for f in made)
        done = s.state.entities["project"][top["id"]]
        assert sorted(done["history"][-1]["followups"]) == sorted(f["id"] for f in made)
    # The follow-ups reach the workers' findings lists like any other.
    listed = ok(cli(home, "office", "findings", "--format", "json")).stdout
    assert listed.count("回访：实事项目") == 3


def test_projects_come_only_from_the_office(home):
    from gridtui.sync.merge import event_problem
    from gridtui.events import make_event

    e = make_event([1, 0], "devW1", "W01", "project", "PdevW1-1", "create",
                   {"title": "x", "role": "safety", "category": "gas", "households": [], "state": "candidate",
                    "at": "2026-11-01T09:00:00+08:00"})
    assert event_problem(e, "W01", "devW1") == "sync.forbidden_kind"
