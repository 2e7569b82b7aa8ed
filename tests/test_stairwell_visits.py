"""A 宣传员 leaves a notice at every door of a stairwell: one visit each, recorded in one go, from the
building screen (space to mark, a for a whole unit) or the command line (--building, --unit)."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from conftest import TEST_PIN, small_roster, unlock
from gridtui.cli import main
from gridtui.home import real_store
from gridtui.roster import roster_events
from gridtui.store import Store
from test_tui import on_screen, rows, started, text_of, to_visit_form


def stairwell_roster() -> dict:
    """1栋 unit 1: 13 doors, one moved out; unit 2: three doors."""
    r = copy.deepcopy(small_roster())
    base = r["households"][0]
    r["households"] = [{**base, "id": f"H1{n:02d}", "unit": 1, "floor": n // 2 + 1, "room": f"{n // 2 + 1}0{n % 2 + 1}",
                        "head": f"住户{n}", "phone": f"1380000{n:04d}", "tags": [], "moved_out": n == 5}
                       for n in range(13)]
    r["households"] += [{**base, "id": f"H2{n:02d}", "unit": 2, "floor": 1, "room": f"10{n + 1}", "head": f"邻居{n}",
                         "phone": f"1390000{n:04d}", "tags": []} for n in range(3)]
    r["visits"] = []
    return r


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    Store.create(real_store(home), {"worker": "W01", "grid": "G01"}, roster_events(stairwell_roster(), grid="G01"),
                 pin=TEST_PIN).close()
    return home


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args], env={"GRIDTUI_PIN": TEST_PIN})


def visits(home) -> dict[str, list[dict]]:
    with Store.open(real_store(home), unlock=unlock) as s:
        out: dict[str, list[dict]] = {}
        for v in s.state.entities["visit"].values():
            out.setdefault(v["household"], []).append(dict(v))
        findings = {f["visit"]: f for f in s.state.entities["finding"].values()}
        for vs in out.values():
            for v in vs:
                v["finding"] = findings.get(v["id"])
        return out


def test_a_whole_unit_in_one_command_one_visit_per_lived_in_door(home):
    res = cli(home, "visit", "add", "--building", "1栋", "--unit", "1", "--outcome", "met",
              "--finding", "宣传员/反诈宣传:发放反诈宣传单")
    assert res.exit_code == 0, res.output
    assert "已保存 12 次走访" in res.output and "12 条发现" in res.output
    got = visits(home)
    assert sorted(got) == sorted(f"H1{n:02d}" for n in range(13) if n != 5)  # not the one who moved out
    assert all(len(vs) == 1 and vs[0]["finding"]["category"] == "anti_fraud" for vs in got.values())
    res = cli(home, "visit", "add", "--building", "B01", "--outcome", "no_answer")
    assert res.exit_code == 0 and "已保存 15 次走访" in res.output  # the whole building, by id


@pytest.mark.parametrize("args, words", [
    (["--outcome", "met"], "二者选一"),
    (["--household", "H100", "--building", "B01", "--outcome", "met"], "二者选一"),
    (["--household", "H100", "--unit", "1", "--outcome", "met"], "--unit"),
    (["--building", "B01", "--unit", "9", "--outcome", "met"], "没有在住的住户"),
    (["--building", "没有这栋", "--outcome", "met"], "gridtui households"),
])
def test_a_stairwell_command_that_cannot_be_done_is_one_sentence_and_saves_nothing(home, args, words):
    res = cli(home, "visit", "add", *args)
    assert res.exit_code == 2 and words in res.output, res.output
    assert visits(home) == {}


def test_a_stairwell_with_one_bad_finding_saves_none_of_it(home):
    res = cli(home, "visit", "add", "--building", "B01", "--outcome", "no_answer", "--finding", "7:飞线充电")
    assert res.exit_code == 2 and visits(home) == {}  # all or none


async def test_marking_a_unit_and_one_more_door_then_one_visit_each(home):
    with Store.open(real_store(home), unlock=unlock) as store:
        async with started(store) as (app, pilot, keys):
            await keys("enter")
            await on_screen(pilot, "BuildingScreen")
            table = rows(app, "households")
            unit2 = next(i for i, r in enumerate(table) if r[0] == "2")
            app.screen.query_one("#households").move_cursor(row=unit2)
            await keys("a")  # all of unit 2
            await keys("up", "space")  # and the last door of unit 1
            marked = app.screen.marked
            assert len(marked) == 4 and "已选 4 户" in str(app.screen.query_one("#title").render())
            assert sum(1 for r in rows(app, "households") if r[2].startswith("✔")) == 4
            await keys("v")
            await on_screen(pilot, "VisitScreen")
            await keys("3", "right", "right", "right", "enter")
            await pilot.press(*"发放通知")
            await keys("ctrl+s")
            await on_screen(pilot, "BuildingScreen")
            assert app.screen.marked == set()
    got = visits(home)
    assert set(got) == marked and all(v[0]["finding"]["asked"] == "发放通知" for v in got.values())


def test_visits_json_of_a_stairwell_round_trip_through_history(home):
    cli(home, "visit", "add", "--building", "B01", "--unit", "2", "--outcome", "met")
    for hid in ("H200", "H201", "H202"):
        (v,) = json.loads(cli(home, "history", hid, "--format", "json").output)["visits"]
        assert v["outcome"] == "met" and v["short"].startswith("V")


async def test_a_door_the_roster_lacks_and_a_household_gone_are_proposed_from_the_building_screen(home):
    with Store.open(real_store(home), unlock=unlock) as store:
        async with started(store) as (app, pilot, keys):
            await keys("enter")
            await on_screen(pilot, "BuildingScreen")
            await keys("N")
            await on_screen(pilot, "FormModal")
            await keys("tab")  # the unit is the cursor's: 1
            await pilot.press(*"701")
            await keys("tab")
            await pilot.press(*"新住户")
            await keys("ctrl+s")
            await on_screen(pilot, "BuildingScreen")
            row = app.screen.current()
            assert (row["room"], row["proposed"]) == ("701", True)  # the cursor is on the new door
            assert any(r[2] == "701" and "待审" in r[7] for r in rows(app, "households"))
            await keys("home", "m")
            await on_screen(pilot, "ConfirmModal")
            await keys("y")
            await on_screen(pilot, "BuildingScreen")
        found = {f["household"]: f for f in store.state.entities["finding"].values()}
    assert found[row["id"]]["proposed"] == {"new": True}
    assert found["H100"]["proposed"] == {"moved_out": True}  # the first door, proposed as gone


async def test_a_data_finding_proposes_tags_by_their_names(home):
    with Store.open(real_store(home), unlock=unlock) as store:
        async with started(store) as (app, pilot, keys):
            await to_visit_form(pilot, keys, store)
            await keys("1", "tab")  # a data finding; past its category to 诉求
            await pilot.press(*"老伴走了")
            await keys("tab", "tab", "tab", "tab", "tab", "tab")  # 措施 分级 跟进 人数 电话 → 标签
            await pilot.press(*"独居老人")
            await keys("ctrl+s")
            await on_screen(pilot, "HouseholdScreen")
            assert "标签 独居老人" in text_of(app.screen.query_one("#history"))
            assert "待办公室审核" in text_of(app.screen.query_one("#history"))
        (f,) = [f for f in store.state.entities["finding"].values() if f.get("proposed")]
    assert f["proposed"] == {"tags": ["elderly_alone"]}
