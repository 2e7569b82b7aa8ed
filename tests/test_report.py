"""`office report` and `office needs` over a community built here, with answers worked out by hand.

The community (period of interest 2026-11-01 … 2026-11-20):

    G01 (W01 李秀英, and W04 赵敏 helps)  B01 H01 elderly_alone · H02 · H03 empty_nest
                                          B02 H04 rental · H05 moved out · H06 disability
    G02 (W02 王建国)                       B03 H07 low_income · H08 veteran · H09 · H10 elderly_alone
    G03 (W03 陈晓燕, no visits at all)     B04 H11 · H12 left_behind_child

Compounds: X01 幸福里小区 = B01, B02; X02 新华苑 = B03, B04.
Every figure asserted below is counted from the lists in :func:`roster` and :func:`office_home`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from conftest import TEST_PIN, unlock
from gridtui import i18n
from gridtui.cli import main
from gridtui.home import office_store
from gridtui import csvtext, report
from gridtui.store import Store
from gridtui.textfmt import cell_width

CN = dt.timezone(dt.timedelta(hours=8))
PERIOD = ("--since", "2026-11-01", "--until", "2026-11-20")
BOM = b"\xef\xbb\xbf"


def _hh(hid, building, room, head, tags=(), moved_out=False):
    return {"id": hid, "building": building, "unit": 1, "floor": int(room[0]), "room": room, "head": head,
            "phone": "", "people": 1, "tags": list(tags), "moved_out": moved_out}


def _visit(vid, hid, worker, at, outcome="met", findings=()):
    return {"id": vid, "household": hid, "worker": worker, "at": f"2026-{at}:00+08:00", "mode": "door",
            "outcome": outcome, "note": "", "findings": list(findings)}


def _finding(fid, role, category, asked, due=None, history=()):
    return {"id": fid, "role": role, "category": category, "asked": asked, "action": "", "triage": "routine",
            "due": due, "history": [{"at": f"2026-{at}:00+08:00", "by": by, "status": s, "note": "", **extra}
                                    for at, by, s, *more in history for extra in [more[0] if more else {}]]}


def roster():
    return {
        "format": "gridtui-roster/1",
        "as_of": "2026-11-20",
        "community": {"id": "C01", "name": "幸福里社区"},
        "compounds": [{"id": "X01", "name": "幸福里小区"}, {"id": "X02", "name": "新华苑"}],
        "grids": [{"id": "G01", "name": "第一网格", "worker": "W01"}, {"id": "G02", "name": "第二网格", "worker": "W02"},
                  {"id": "G03", "name": "第三网格", "worker": "W03"}],
        "workers": [{"id": "W01", "name": "李秀英", "grid": "G01"}, {"id": "W02", "name": "王建国", "grid": "G02"},
                    {"id": "W03", "name": "陈晓燕", "grid": "G03"}, {"id": "W04", "name": "赵敏", "grid": "G01"}],
        "buildings": [
            {"id": "B01", "compound": "X01", "name": "1栋", "grid": "G01", "units": 1, "floors": 6},
            {"id": "B02", "compound": "X01", "name": "2栋", "grid": "G01", "units": 1, "floors": 6},
            {"id": "B03", "compound": "X02", "name": "1栋", "grid": "G02", "units": 1, "floors": 6},
            {"id": "B04", "compound": "X02", "name": "2栋", "grid": "G03", "units": 1, "floors": 6},
        ],
        "households": [
            _hh("H01", "B01", "101", "张建华", ["elderly_alone"]),
            _hh("H02", "B01", "102", "刘芳"),
            _hh("H03", "B01", "201", "陈国强", ["empty_nest"]),
            _hh("H04", "B02", "101", "王丽", ["rental"]),
            _hh("H05", "B02", "102", "赵刚", moved_out=True),
            _hh("H06", "B02", "201", "孙秀兰", ["disability"]),
            _hh("H07", "B03", "101", "周伟", ["low_income"]),
            _hh("H08", "B03", "102", "吴军", ["veteran"]),
            _hh("H09", "B03", "201", "郑洁"),
            _hh("H10", "B03", "202", "冯桂英", ["elderly_alone"]),
            _hh("H11", "B04", "101", "钱磊"),
            _hh("H12", "B04", "102", "何小宝", ["left_behind_child"]),
        ],
        "visits": [
            _visit("V06", "H06", "W01", "10-20T09:00"),
            _visit("V13", "H08", "W02", "10-20T10:00", findings=[
                _finding("F09", "info", "health", "老人腿脚不便", due="2026-10-30"),
                _finding("F10", "publicity", "pension", "咨询养老金", history=[("11-03T10:00", "W02", "resolved")]),
            ]),
            _visit("V01", "H01", "W01", "10-31T17:00"),
            _visit("V02", "H01", "W01", "11-01T09:00", findings=[
                _finding("F01", "safety", "gas", "燃气管老化", due="2026-11-10",
                         history=[("11-04T10:00", "W01", "resolved", {"satisfaction": "dissatisfied"})])]),
            _visit("V09", "H07", "W02", "11-02T09:30", findings=[
                _finding("F06", "safety", "ebike_charging", "电动车在楼道充电",
                         history=[("11-02T16:00", "W02", "resolved"),
                                  ("11-08T10:00", "office", "closed", {"satisfaction": "satisfied"})])]),
            _visit("V07", "H05", "W01", "11-03T09:00", outcome="vacant"),
            _visit("V03", "H02", "W01", "11-05T10:00", findings=[
                _finding("F02", "safety", "ebike_charging", "楼道内电动车飞线充电", due="2026-11-15",
                         history=[("11-06T09:00", "office", "referred", {"to": "幸福里物业公司"})]),
                _finding("F03", "service", "repair", "水龙头漏水", history=[("11-06T10:00", "W01", "resolved")])]),
            _visit("V04", "H03", "W04", "11-10T10:00", findings=[
                _finding("F04", "safety", "ebike_charging", "楼道内电动车飞线充电",
                         history=[("11-11T10:00", "W04", "referred", {"to": "街道城管中队"}),
                                  ("11-20T17:00", "office", "closed", {"satisfaction": "basically"})])]),
            _visit("V10", "H07", "W02", "11-12T09:30", findings=[
                _finding("F07", "safety", "ebike_charging", "楼道内电动车飞线充电", due="2026-11-30")]),
            _visit("V11", "H08", "W02", "11-15T09:30", outcome="no_answer"),
            _visit("V12", "H10", "W02", "11-16T09:30", findings=[
                _finding("F08", "mediation", "neighbour", "楼上装修噪音扰民", due="2026-11-19",
                         history=[("11-18T10:00", "W02", "resolved")]),
                _finding("F11", "service", "micro_wish", "想要一台收音机")]),
            _visit("V05", "H04", "W01", "11-20T20:00", findings=[
                _finding("F05", "service", "micro_wish", "想要一副老花镜")]),
        ],
        "wishes": [
            {"id": "M01", "household": "H04", "finding": "F05", "title": "想要一副老花镜", "state": "claimed",
             "claimed_by": "志愿者 陈晓明",
             "history": [{"at": "2026-11-20T21:00:00+08:00", "state": "claimed", "by": "office",
                          "claimed_by": "志愿者 陈晓明"}]},
        ],
    }


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]])


def ok(res):
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def init_office(home, data=None):
    """An office store made from this community's roster (or ``data``), as `office init` makes it."""
    path = home.parent / f"{home.name}-roster.json"
    path.write_text(json.dumps(data or roster(), ensure_ascii=False), encoding="utf-8")
    # A module fixture runs before the function-scoped one that gives commands the PIN: give it here.
    ok(CliRunner().invoke(main, ["--home", str(home), "office", "init", "--roster", str(path)],
                          env={"GRIDTUI_PIN": TEST_PIN}))
    return home


@pytest.fixture(scope="module")
def office_home(tmp_path_factory):
    """The office store from the roster, then the office's own changes made through the store at fixed
    times: F08 reopened on 11-19 (the resident says the noise goes on), F11's wish M02 claimed on 11-17
    and fulfilled on 11-19, which resolves F11."""
    home = tmp_path_factory.mktemp("report") / "home"
    path = home.parent / "roster.json"
    path.write_text(json.dumps(roster(), ensure_ascii=False), encoding="utf-8")
    # A module fixture runs before the function-scoped one that gives commands the PIN: give it here.
    ok(CliRunner().invoke(main, ["--home", str(home), "office", "init", "--roster", str(path)],
                          env={"GRIDTUI_PIN": TEST_PIN}))
    now = [dt.datetime(2026, 11, 17, 9, 0, tzinfo=CN)]
    with Store.open(office_store(home), unlock=unlock, now=lambda: now[0],
                    clock_ms=lambda: int(now[0].timestamp() * 1000)) as store:
        # The app makes a micro-wish with its finding; a roster holds only the wishes it lists.
        store.append([store.new_event("wish", "M02", "create", {"household": "H10", "finding": "F11",
                                                               "title": "想要一台收音机", "state": "wish",
                                                               "at": "2026-11-16T09:30:00+08:00"})])
        store.set_wish_state("M02", "claimed", claimed_by="辖区共建单位")
        now[0] = dt.datetime(2026, 11, 19, 15, 0, tzinfo=CN)
        store.set_finding_status("F08", "open", "回访：噪音仍在")
        store.set_wish_state("M02", "fulfilled")
        store.set_finding_status("F11", "resolved", "收音机已送到")
    return home


def report_json(home, *args):
    return json.loads(ok(cli(home, "office", "report", "--format", "json", *args)).stdout)


def needs_json(home, *args):
    return json.loads(ok(cli(home, "office", "needs", "--format", "json", *args)).stdout)


def rows_by_id(res):
    return {r["id"]: r for r in [res["total"], *res["grids"], *res["workers"]]}


# --- coverage ---------------------------------------------------------------------------------------


def test_coverage_per_grid_and_community(office_home):
    rows = rows_by_id(report_json(office_home, *PERIOD))
    # (households not moved out, visits in the period, households visited in the period)
    assert {k: (rows[k]["households"], rows[k]["visits"], rows[k]["visited"]) for k in ("C01", "G01", "G02", "G03")} \
        == {"C01": (11, 9, 7), "G01": (5, 5, 4), "G02": (4, 4, 3), "G03": (2, 0, 0)}
    assert rows["C01"]["coverage"] == round(7 / 11, 4)
    assert (rows["G01"]["coverage"], rows["G02"]["coverage"], rows["G03"]["coverage"]) == (0.8, 0.75, 0.0)
    assert rows["C01"]["level"] == "community" and rows["G01"]["level"] == "grid"


def test_never_visited_lists_households_with_masked_names(office_home):
    res = report_json(office_home, *PERIOD, "--never-visited")
    assert [(h["id"], h["last_visit"]) for h in res["never_visited"]] == \
        [("H06", "2026-10-20"), ("H09", None), ("H11", None), ("H12", None)]
    h06 = res["never_visited"][0]
    assert (h06["grid"], h06["building_name"], h06["room"], h06["head"]) == ("G01", "幸福里小区2栋", "201", "孙*兰")
    assert "孙秀兰" not in json.dumps(res, ensure_ascii=False)
    assert "never_visited" not in report_json(office_home, *PERIOD)


def test_never_visited_table(office_home):
    out = ok(cli(office_home, "office", "report", *PERIOD, "--never-visited", "--grid", "G02")).stdout
    assert "期内未走访住户（1 户）" in out and "H09" in out and "郑*" in out and "郑洁" not in out


# --- findings ---------------------------------------------------------------------------------------


def test_closure_rate_median_and_overdue(office_home):
    rows = rows_by_id(report_json(office_home, *PERIOD))
    figures = {k: (rows[k]["opened"], rows[k]["closed"], rows[k]["closure_rate"], rows[k]["median_days"],
                   rows[k]["overdue"]) for k in ("C01", "G01", "G02", "G03")}
    assert figures == {
        # opened F01–F08, F11; done by 11-20: F01 F03 F04 F06 F11 (F08 was reopened); closed in the period
        # after 3 1 10 0 2 14 3 days (F10 was opened in October); overdue F02, F08, F09 (opened in October)
        "C01": (9, 7, round(5 / 9, 4), 3.0, 3),
        "G01": (5, 3, 0.6, 3.0, 1),
        "G02": (4, 4, 0.5, 2.5, 2),
        "G03": (0, 0, None, None, 0),
    }


def test_by_role(office_home):
    by_role = report_json(office_home, *PERIOD)["total"]["by_role"]
    assert list(by_role) == ["data", "info", "publicity", "service", "mediation", "supervision", "safety"]
    none = {"rated": 0, "satisfaction_rate": None}
    # F01 不满意 (11-04), F06 满意 (11-08), F04 基本满意 (11-20): two of three count toward 满意率
    assert by_role["safety"] == {"opened": 5, "closed": 3, "closure_rate": 0.6, "median_days": 3.0, "overdue": 1,
                                 "rated": 3, "satisfaction_rate": 0.6667}
    assert by_role["service"] == {"opened": 3, "closed": 2, "closure_rate": 0.6667, "median_days": 2.0, "overdue": 0,
                                  **none}
    assert by_role["mediation"] == {"opened": 1, "closed": 1, "closure_rate": 0.0, "median_days": 2.0, "overdue": 1,
                                    **none}
    assert by_role["info"] == {"opened": 0, "closed": 0, "closure_rate": None, "median_days": None, "overdue": 1, **none}
    assert by_role["publicity"] == {"opened": 0, "closed": 1, "closure_rate": None, "median_days": 14.0, "overdue": 0,
                                    **none}


def test_wishes_claimed_and_fulfilled(office_home):
    rows = rows_by_id(report_json(office_home, *PERIOD))
    assert {k: (rows[k]["wishes_claimed"], rows[k]["wishes_fulfilled"]) for k in ("C01", "G01", "G02", "G03")} == \
        {"C01": (2, 1), "G01": (1, 0), "G02": (1, 1), "G03": (0, 0)}
    # M01 was claimed on 11-20: a period ending the day before does not see it
    rows = rows_by_id(report_json(office_home, "--since", "2026-11-01", "--until", "2026-11-19"))
    assert (rows["G01"]["wishes_claimed"], rows["C01"]["wishes_claimed"]) == (0, 1)


# --- care households ----------------------------------------------------------------------------------


def test_vulnerable_with_default_intervals(office_home):
    res = report_json(office_home, *PERIOD, "--vulnerable")
    rows = rows_by_id(res)
    # H01 elderly_alone last seen 11-01 (19 d > 7), H06 disability 10-20 (31 d > 14), H12 never;
    # H03 empty_nest 10 d ≤ 14, H07 low_income 8 d ≤ 30, H10 4 d ≤ 7; veteran H08 is no care tag
    assert {k: rows[k]["vulnerable"] for k in ("C01", "G01", "G02", "G03")} == {"C01": 3, "G01": 2, "G02": 0, "G03": 1}
    got = {h["id"]: (h["tags"], h["interval_days"], h["last_visit"], h["days_since"]) for h in res["vulnerable"]}
    assert got == {"H01": (["elderly_alone"], 7, "2026-11-01", 19), "H06": (["disability"], 14, "2026-10-20", 31),
                   "H12": (["left_behind_child"], 14, None, None)}
    assert res["intervals"] == {"elderly_alone": 7, "empty_nest": 14, "disability": 14, "left_behind_child": 14,
                                "low_income": 30}


@pytest.mark.parametrize("intervals, expected", [
    (["disability=40"], {"C01": 2, "G01": 1, "G02": 0, "G03": 1}),   # H06: 31 d ≤ 40
    (["empty_nest=7"], {"C01": 4, "G01": 3, "G02": 0, "G03": 1}),    # H03: 10 d > 7
    (["veteran=3"], {"C01": 4, "G01": 2, "G02": 1, "G03": 1}),       # H08 joins: last visit 11-15, 5 d > 3
    (["elderly_alone=20", "disability=40"], {"C01": 1, "G01": 0, "G02": 0, "G03": 1}),
])
def test_vulnerable_with_custom_intervals(office_home, intervals, expected):
    args = [a for spec in intervals for a in ("--interval", spec)]
    rows = rows_by_id(report_json(office_home, *PERIOD, *args))
    assert {k: rows[k]["vulnerable"] for k in expected} == expected


def test_vulnerable_as_of_the_end_of_the_period(office_home):
    # On 11-12: H01 last seen 11-01 (11 d > 7), H06 on 10-20 (23 d > 14), H10's visit of 11-16 is after the
    # end (so never, as of then), H12 never; H03 seen 11-10 (2 d). Most overdue first within each grid.
    res = report_json(office_home, "--since", "2026-11-01", "--until", "2026-11-12", "--vulnerable")
    assert [(h["id"], h["days_since"]) for h in res["vulnerable"]] == \
        [("H06", 23), ("H01", 11), ("H10", None), ("H12", None)]


# --- period boundaries -----------------------------------------------------------------------------------


def test_since_includes_its_day_and_excludes_the_day_before(office_home):
    g01 = rows_by_id(report_json(office_home, *PERIOD))["G01"]
    later = rows_by_id(report_json(office_home, "--since", "2026-11-02", "--until", "2026-11-20"))["G01"]
    # V02 and F01 fall on 11-01; V01 on 10-31 never counts
    assert (g01["visits"], g01["visited"], g01["opened"]) == (5, 4, 5)
    assert (later["visits"], later["visited"], later["opened"], later["closed"]) == (4, 3, 4, 3)


def test_until_includes_its_day_and_excludes_the_day_after(office_home):
    rows = rows_by_id(report_json(office_home, "--since", "2026-11-01", "--until", "2026-11-19"))
    g01, g02 = rows["G01"], rows["G02"]
    # V05/F05 (11-20 20:00) and F04's closing on 11-20 drop out; F08 (due 11-19) is not overdue on 11-19
    assert (g01["visits"], g01["visited"], g01["opened"], g01["closed"], g01["closure_rate"]) == (4, 3, 4, 2, 0.5)
    assert g01["median_days"] == 2.0 and g01["overdue"] == 1
    assert g02["overdue"] == 1
    one_day = rows_by_id(report_json(office_home, "--since", "2026-11-20", "--until", "2026-11-20"))["G01"]
    assert (one_day["visits"], one_day["visited"], one_day["opened"], one_day["closed"]) == (1, 1, 1, 1)


def test_default_period_is_this_month_to_today():
    today = dt.date(2026, 11, 20)
    assert report.default_period(today) == (dt.date(2026, 11, 1), today)


# --- per worker ----------------------------------------------------------------------------------------


def test_per_worker_rows(office_home):
    res = report_json(office_home, *PERIOD)
    rows = {r["id"]: r for r in res["workers"]}
    assert list(rows) == ["W01", "W02", "W03", "W04"]
    assert all(r["level"] == "worker" for r in rows.values())
    got = {w: (r["grid"], r["households"], r["visits"], r["visited"], r["opened"], r["closed"], r["closure_rate"],
               r["median_days"], r["overdue"], r["vulnerable"]) for w, r in rows.items()}
    assert got == {
        # W01: V02 V03 V05 V07 (H05 moved out), F01 F02 F03 F05; households and care due are G01's
        "W01": ("G01", 5, 4, 3, 4, 2, 0.5, 2.0, 1, 2),
        "W04": ("G01", 5, 1, 1, 1, 1, 1.0, 10.0, 0, 2),
        "W02": ("G02", 4, 4, 3, 4, 4, 0.5, 2.5, 2, 0),
        "W03": ("G03", 2, 0, 0, 0, 0, None, None, 0, 1),
    }


def test_one_grid_is_the_same_as_its_row_in_the_whole(office_home):
    whole = rows_by_id(report_json(office_home, *PERIOD))
    one = report_json(office_home, *PERIOD, "--grid", "G01")
    assert {k: v for k, v in one["total"].items()} == whole["G01"]
    assert [r["id"] for r in one["workers"]] == ["W01", "W04"]
    assert [r for r in one["workers"]] == [whole["W01"], whole["W04"]]


def test_summary_for_the_worker_app_reads_one_grid():
    from gridtui.roster import roster_events
    from gridtui.events import fold

    state = fold(roster_events(roster(), grid="G02"))
    res = report.summary(state, dt.date(2026, 11, 1), dt.date(2026, 11, 20), grid="G02")
    assert (res["total"]["households"], res["total"]["visited"], res["total"]["opened"]) == (4, 3, 4)


# --- needs ----------------------------------------------------------------------------------------------


def test_needs_ranks_by_distinct_households(office_home):
    rows = needs_json(office_home, *PERIOD)
    assert [(r["rank"], r["role"], r["category"], r["households"], r["findings"], r["open"]) for r in rows] == [
        (1, "safety", "ebike_charging", 3, 4, 2),   # H07 asked twice: counted once
        (2, "service", "micro_wish", 2, 2, 1),
        (3, "service", "repair", 1, 1, 0),           # ties: role order, then category order
        (4, "mediation", "neighbour", 1, 1, 1),
        (5, "safety", "gas", 1, 1, 0),
    ]
    assert rows[0]["examples"] == ["楼道内电动车飞线充电", "电动车在楼道充电"]
    assert rows[1]["examples"] == ["想要一副老花镜", "想要一台收音机"]
    assert rows[0]["role_name"] == "安全员" and rows[0]["category_name"] == "飞线充电"


def test_needs_top_since_grid_and_by_place(office_home):
    assert len(needs_json(office_home, *PERIOD, "--top", "2")) == 2
    wider = needs_json(office_home, "--since", "2026-10-01", "--until", "2026-11-20")
    assert {(r["role"], r["category"]) for r in wider} >= {("info", "health"), ("publicity", "pension")}
    g02 = needs_json(office_home, *PERIOD, "--grid", "G02")
    assert [(r["category"], r["households"], r["findings"]) for r in g02] == \
        [("ebike_charging", 1, 2), ("micro_wish", 1, 1), ("neighbour", 1, 1)]
    by = needs_json(office_home, *PERIOD, "--by", "compound")
    assert [(r["category"], r["place"], r["place_name"], r["households"]) for r in by][:4] == [
        ("ebike_charging", "X01", "幸福里小区", 2),
        ("ebike_charging", "X02", "新华苑", 1),
        ("micro_wish", "X01", "幸福里小区", 1),
        ("micro_wish", "X02", "新华苑", 1),
    ]
    by_building = needs_json(office_home, *PERIOD, "--by", "building")
    assert by_building[0]["place_name"] == "幸福里小区1栋" and by_building[0]["households"] == 2


def test_needs_table(office_home):
    out = ok(cli(office_home, "office", "needs", *PERIOD)).stdout
    assert "飞线充电" in out and "例：楼道内电动车飞线充电；电动车在楼道充电" in out


# --- CSV, table, languages, errors ----------------------------------------------------------------------


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))


def test_report_csv_round_trip(office_home, tmp_path):
    res = report_json(office_home, *PERIOD)
    out = tmp_path / "report.csv"
    ok(cli(office_home, "office", "report", *PERIOD, "--format", "csv", "--output", out))
    from_file = _read_csv(out.read_bytes())
    from_stdout = _read_csv(ok(cli(office_home, "office", "report", *PERIOD, "--format", "csv")).stdout_bytes)
    assert from_file == from_stdout
    header, *body = from_file
    roles = ["数据员", "信息员", "宣传员", "服务员", "调解员", "监督员", "安全员"]
    assert header[:18] == ["层级", "编号", "名称", "网格", "户数", "走访次数", "已访户", "覆盖率", "关爱超期", "新增", "办结",
                           "办结率", "中位天数", "超期", "回访评价", "满意率", "心愿认领", "心愿实现"]
    assert header[18:] == [f"新增·{r}" for r in roles] + [f"办结·{r}" for r in roles]
    level = {"community": "社区", "grid": "网格", "worker": "网格员"}
    keys = ["id", "name", "grid", "households", "visits", "visited", "coverage", "vulnerable", "opened", "closed",
            "closure_rate", "median_days", "overdue", "rated", "satisfaction_rate", "wishes_claimed", "wishes_fulfilled"]
    expected = []
    for r in [res["total"], *res["grids"], *res["workers"]]:
        row = [level[r["level"]]] + ["" if r[k] is None else str(r[k]) for k in keys]
        row += [str(f["opened"]) for f in r["by_role"].values()] + [str(f["closed"]) for f in r["by_role"].values()]
        expected.append(row)
    assert body == expected


def test_csv_quotes_commas_and_quotes(office_home):
    rows = _read_csv(ok(cli(office_home, "office", "needs", *PERIOD, "--format", "csv")).stdout_bytes)
    assert rows[0] == ["排名", "角色", "类别", "户数", "次数", "未办结户", "示例1", "示例2"]
    js = needs_json(office_home, *PERIOD)
    assert rows[1:] == [[str(r["rank"]), r["role_name"], r["category_name"], str(r["households"]), str(r["findings"]),
                         str(r["open"]), *(r["examples"] + ["", ""])[:2]] for r in js]
    text = csvtext.csv_text(["a", "b"], [['带,逗号', '带"引号"'], [None, 1.5]])
    assert text == '\ufeffa,b\r\n"带,逗号","带""引号"""\r\n,1.5\r\n'


def test_csv_lists(office_home):
    rows = _read_csv(ok(cli(office_home, "office", "report", *PERIOD, "--format", "csv", "--vulnerable")).stdout_bytes)
    assert rows[0][:3] == ["编号", "网格", "楼栋"]
    assert [r[0] for r in rows[1:]] == ["H06", "H01", "H12"]  # most overdue first within each grid
    res = cli(office_home, "office", "report", *PERIOD, "--format", "csv", "--vulnerable", "--never-visited")
    assert res.exit_code == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tables_fit_80_columns(office_home, lang):
    outputs = [
        ok(cli(office_home, "--lang", lang, "office", "report", *PERIOD, "--never-visited", "--vulnerable")).stdout,
        ok(cli(office_home, "--lang", lang, "office", "report", *PERIOD, "--grid", "G01")).stdout,
        ok(cli(office_home, "--lang", lang, "office", "needs", *PERIOD)).stdout,
        ok(cli(office_home, "--lang", lang, "office", "needs", *PERIOD, "--by", "building", "--top", "20")).stdout,
    ]
    for out in outputs:
        assert out.strip()
        too_wide = [line for line in out.splitlines() if cell_width(line) > 80]
        assert too_wide == []


def test_table_lines_up_chinese_text(office_home):
    out = ok(cli(office_home, "office", "report", *PERIOD)).stdout.splitlines()
    at = out.index("走访覆盖")
    header, rule, *rows = out[at + 1: at + 6]
    # every column starts at the same cell offset in the header, the rule and each row, however many
    # Chinese characters (two cells each) come before it
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == 6

    def cells(line):
        out_ = []
        for ch in line:
            out_ += [ch] * cell_width(ch)
        return out_ + [" "] * 100

    for line in [header, *rows]:
        if line.strip():
            c = cells(line)
            assert all(c[s] != " " and (s == 0 or c[s - 1] == " ") for s in starts), line


def test_english(office_home):
    out = ok(cli(office_home, "--lang", "en", "office", "report", *PERIOD)).stdout
    assert "Visit coverage" in out and "Safety" in out and "Rate (closure)" in out and "走访覆盖" not in out
    out = ok(cli(office_home, "--lang", "en", "office", "needs", *PERIOD)).stdout
    assert "What residents ask for" in out and "E-bike flying wire" in out
    rows = _read_csv(ok(cli(office_home, "--lang", "en", "office", "report", *PERIOD, "--format", "csv")).stdout_bytes)
    assert rows[0][:3] == ["Level", "ID", "Name"] and rows[1][0] == "Community"


@pytest.mark.parametrize("args, words", [
    (("--since", "2026-13-01"), "2026-13-01"),
    (("--until", "yesterday"), "yesterday"),
    (("--since", "2026-11-21", "--until", "2026-11-20"), "2026-11-21"),
    (("--interval", "elderly_alone"), "elderly_alone"),
    (("--interval", "nobody=3"), "nobody"),
    (("--grid", "G09"), "G09"),
])
@pytest.mark.parametrize("command", ["report", "needs"])
def test_bad_input_is_one_line_exit_2(office_home, command, args, words):
    if command == "needs" and args[0] == "--interval":
        return
    res = cli(office_home, "office", command, *args)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.output


def test_without_an_office_store(tmp_path):
    res = cli(tmp_path / "nothing", "office", "report")
    assert res.exit_code == 2 and "office init" in res.output


def test_i18n_keys_used_by_the_report_exist():
    for key in ("report.col.level", "report.level.worker", "report.note.closure", "report.col.role_opened"):
        assert key in i18n.STRINGS


def test_demo_data_adds_up(tmp_path):
    """On the demo community the grid rows add up to the community row, and `needs` finds ten groups."""
    from gridtui.demo import demo_data_path

    home = tmp_path / "demo"
    ok(cli(home, "office", "init", "--roster", demo_data_path()))
    res = report_json(home, "--since", "2026-08-20", "--until", "2026-11-20")
    total, grids = res["total"], res["grids"]
    assert len(grids) == 4 and 0 < total["coverage"] < 1 and total["overdue"] > 0 and total["vulnerable"] > 0
    for key in ("households", "visits", "visited", "opened", "closed", "overdue", "vulnerable", "wishes_claimed"):
        assert total[key] == sum(g[key] for g in grids), key
    for role, f in total["by_role"].items():
        assert f["opened"] == sum(g["by_role"][role]["opened"] for g in grids), role
    rows = needs_json(home, "--since", "2026-08-20", "--until", "2026-11-20")
    assert len(rows) == 10 and all(r["households"] <= r["findings"] for r in rows)
    assert [r["households"] for r in rows] == sorted((r["households"] for r in rows), reverse=True)


def _satisfaction_in(f, lo, hi):  # what the report once asked in a pass of its own
    got = None
    for h in f.get("history", ()):
        if h.get("satisfaction") and lo <= report.change_day(h) <= hi:
            got = h["satisfaction"]
    return got


_DAYS = st.sampled_from(["2026-10-01", "2026-10-15", "2026-11-01", "2026-11-20", "2026-12-01"])


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.fixed_dictionaries({"changed": _DAYS.map(lambda d: d + "T10:00:00+08:00")}, optional={
    "status": st.sampled_from(["open", "in_progress", "referred", "resolved", "closed"]),
    "satisfaction": st.sampled_from(["satisfied", "basically", "unsatisfied"])}), max_size=5), _DAYS, _DAYS)
def test_one_pass_over_a_findings_history_tells_what_the_three_questions_did(history, a, b):
    lo, hi = min(a, b), max(a, b)
    f = {"history": history} if history else {}
    assert report.history_facts(f, lo, hi) == (report.status_at(f, hi), report.first_done_day(f),
                                               _satisfaction_in(f, lo, hi))
