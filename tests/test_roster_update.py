"""The ledger stays true: a quarterly roster shows its difference, applies as office events that
reach the workers, never deletes, and refuses files that are not rosters; duplicates are found."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import built_once, unlock
from gridtui.home import office_store, real_store
from gridtui.office.roster_csv import load_roster
from gridtui.store import Store
from test_roster_file import ZH_HEADER, write_csv
from test_sync import Site, cli, ok

# A quarter ago: seven households in two buildings of G01, one in G02.
BEFORE = [
    ["G01", "幸福里小区", "1栋", "1", "", "301", "张建华", "13812345678", "42010619500101123X", "1", "独居老人"],
    ["G01", "幸福里小区", "1栋", "1", "", "302", "刘芳", "13900001111", "420106198203154521", "3", ""],
    ["G01", "幸福里小区", "1栋", "1", "", "401", "王秀兰", "13900002222", "420106195603154527", "2", ""],
    ["G01", "幸福里小区", "1栋", "1", "", "402", "赵德明", "13900003333", "420106196501011219", "2", ""],
    ["G01", "幸福里小区", "1栋", "1", "", "501", "孙丽", "13900004444", "420106198807074526", "4", ""],
    ["G01", "幸福里小区", "1栋", "1", "", "502", "周强", "13900005555", "420106197912121238", "3", ""],
    ["G01", "幸福里小区", "1栋", "1", "", "601", "吴芳", "13900006666", "420106199001011220", "2", ""],
    ["G02", "江畔花园", "3栋", "2", "", "101", "陈国强", "13700002222", "", "2", ""],
]


def quarter_rows():
    """This quarter: 3 changed, 2 moved out (402, 601), 5 new (two in 1栋, three in a new 2栋)."""
    rows = [list(r) for r in BEFORE]
    rows[0][7] = "13812340000"  # 301: a new phone
    rows[1][9] = "4"  # 302: a baby
    rows[2][10] = "独居老人"  # 401: her husband died
    rows[0][5] = "３０１"  # typed full-width this time: still the same door
    rows = [r for r in rows if r[5] not in ("402", "601")]
    rows += [
        ["G01", "幸福里小区", "1栋", "1", "", "701", "钱进", "13600000001", "", "1", ""],
        ["G01", "幸福里小区", "1栋", "1", "", "702", "冯雪", "13600000002", "", "2", "出租屋"],
        ["G01", "幸福里小区", "2栋", "1", "", "101", "郑一", "13600000003", "", "3", ""],
        ["G01", "幸福里小区", "2栋", "1", "", "102", "郑二", "13600000004", "", "2", ""],
        ["G01", "幸福里小区", "2栋", "2", "", "101", "郑三", "13600000005", "", "1", "独居老人"],
    ]
    return rows


def _site(root):
    root.mkdir(parents=True)
    data = load_roster(write_csv(root / "before.csv", ZH_HEADER, BEFORE))
    return Site(root, roster_data=data)


_site_template, site = built_once("site", _site)


def households(site, w="W01") -> dict[str, dict]:
    with Store.open(real_store(site.homes[w]), unlock=unlock) as s:
        return {hid: dict(h) for hid, h in s.state.entities["household"].items()}


def office_households(site) -> dict[str, dict]:
    with Store.open(office_store(site.office), unlock=unlock) as s:
        return {hid: dict(h) for hid, h in s.state.entities["household"].items()}


def office_event_count(site) -> int:
    with Store.open(office_store(site.office), unlock=unlock) as s:
        return s.event_count


def by_room(hs: dict[str, dict]) -> dict[str, dict]:
    return {f"{h['building']}/{h['unit']}-{h['room']}": h for h in hs.values()}


def test_a_quarterly_roster_shows_its_difference_changes_nothing_then_reaches_the_worker(site, tmp_path):
    new = write_csv(tmp_path / "2026Q4.csv", ZH_HEADER, quarter_rows())
    before = office_households(site)
    ids = {f"{h['unit']}-{h['room']}": hid for hid, h in before.items() if h["building"] == "B01"}
    count = office_event_count(site)

    shown = json.loads(ok(cli(site.office, "office", "roster", "import", new, "--format", "json")).output)
    assert office_event_count(site) == count  # a look changes nothing
    assert len(shown["new"]) == 5 and len(set(shown["new"]) & set(before)) == 0
    assert {c["id"]: c["fields"] for c in shown["changed"]} == {
        ids["1-301"]: ["phone"], ids["1-302"]: ["people"], ids["1-401"]: ["tags"]}
    assert shown["moved_out"] == sorted([ids["1-402"], ids["1-601"]])
    assert [b["name"] for b in shown["buildings"]] == ["2栋"] and shown["applied"] is False
    table = ok(cli(site.office, "office", "roster", "import", new)).output
    assert "新增 5 户，变更 3 户，迁出 2 户" in table and "--apply" in table
    assert "13812340000" not in table and "张建华" not in table  # masked: the diff is not a leak

    applied = ok(cli(site.office, "office", "roster", "import", new, "--apply")).output
    assert "已应用" in applied
    after = office_households(site)
    assert set(after) >= set(before)  # never deletes
    assert after[ids["1-402"]]["moved_out"] and after[ids["1-601"]]["moved_out"]
    assert after[ids["1-301"]]["phone"] == "13812340000" and after[ids["1-302"]]["people"] == 4
    assert after[ids["1-401"]]["tags"] == ["elderly_alone"]
    again = json.loads(ok(cli(site.office, "office", "roster", "import", new, "--format", "json")).output)
    assert again["new"] == again["changed"] == again["moved_out"] == []  # applied once is applied

    site.publish()
    ok(cli(site.homes["W01"], "sync"))
    mine = by_room(households(site))
    assert mine["B01/1-301"]["phone"] == "13812340000" and mine["B01/1-401"]["tags"] == ["elderly_alone"]
    assert mine["B01/1-402"]["moved_out"] and mine["B01/1-601"]["moved_out"]
    new_building = shown["buildings"][0]["id"]
    assert {k for k in mine if k.startswith(new_building)} == {f"{new_building}/1-101", f"{new_building}/1-102",
                                                              f"{new_building}/2-101"}
    listed = json.loads(ok(cli(site.homes["W01"], "households", "--format", "json")).output)
    assert {r["id"] for r in listed} >= set(shown["new"])
    assert {r["id"] for r in listed if r["moved_out"]} == {ids["1-402"], ids["1-601"]}  # shown as moved out
    assert "已迁出" in ok(cli(site.homes["W01"], "households")).output
    assert households(site, "W02").keys().isdisjoint(shown["new"])  # G01's new doors stay in G01


def test_a_household_listed_again_moves_back_in(site, tmp_path):
    rows = quarter_rows()
    ok(cli(site.office, "office", "roster", "import", write_csv(tmp_path / "q4.csv", ZH_HEADER, rows), "--apply"))
    back = rows + [r for r in BEFORE if r[5] == "402"]
    shown = json.loads(ok(cli(site.office, "office", "roster", "import", write_csv(tmp_path / "q1.csv", ZH_HEADER, back),
                              "--apply", "--format", "json")).output)
    (hid,) = shown["moved_in"]
    assert not office_households(site)[hid]["moved_out"] and office_households(site)[hid]["room"] == "402"


def test_a_household_with_open_findings_is_flagged_in_the_diff(site, tmp_path):
    target = next(hid for hid, h in office_households(site).items() if h["room"] == "402")
    site.record("W01", target, [{"role": "safety", "category": "gas", "asked": "燃气管老化"}])
    site.sync("W01")
    assert site.merge().skipped == []
    shown = json.loads(ok(cli(site.office, "office", "roster", "import",
                              write_csv(tmp_path / "q4.csv", ZH_HEADER, quarter_rows()), "--format", "json")).output)
    assert shown["flagged"] == [{"id": target, "reasons": ["open_findings"]}]
    assert "有待办发现" in ok(cli(site.office, "office", "roster", "import", tmp_path / "q4.csv")).output


def _init(tmp_path, rows, name="roster.csv"):
    return cli(tmp_path / "office", "office", "init", "--roster", write_csv(tmp_path / name, ZH_HEADER, rows))


def _one_error(res) -> str:
    assert res.exit_code == 2, (res.output, res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), res.output
    return lines[0]


@pytest.mark.parametrize("column, value, name", [(7, "1.38123E+10", "电话"), (8, "4.20106E+17", "身份证号"),
                                                 (7, "1.38123e10", "电话")])
def test_numbers_excel_mangled_in_a_csv_are_refused_with_their_line(tmp_path, column, value, name):
    rows = [list(r) for r in BEFORE]
    rows[2][column] = value
    line = _one_error(_init(tmp_path, rows))
    assert "第 4 行" in line and name in line and "15 位" in line
    assert not (tmp_path / "office").exists() or not Store.exists(office_store(tmp_path / "office"))


def test_an_export_with_masked_values_is_not_a_roster(site, tmp_path):
    rows = [list(r) for r in BEFORE]
    rows[1][6] = "刘*"
    rows[3][7] = "139****3333"
    rows[4][8] = "420*************26"
    line = _one_error(_init(tmp_path, rows))
    assert "第 3、5、6 行" in line and "打码" in line and "原始花名册" in line
    count = office_event_count(site)
    res = cli(site.office, "office", "roster", "import", tmp_path / "roster.csv", "--apply")
    assert "打码" in _one_error(res) and office_event_count(site) == count  # nothing replaced by masks
    data = load_roster(write_csv(tmp_path / "ok.csv", ZH_HEADER, BEFORE))
    data["households"][0]["head"] = "张*华"
    (tmp_path / "masked.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert data["households"][0]["id"] in _one_error(cli(site.office, "office", "roster", "import", tmp_path / "masked.json"))


def test_duplicates_in_a_roster_with_two_shared_id_numbers(tmp_path):
    rows = [list(r) for r in BEFORE]
    rows[4][8] = rows[0][8]  # one person in 301 and 501
    rows[6][8] = rows[2][8]  # 601 has 401's number
    rows[7][8] = "４２０１０６１９５６０３１５４５２７"  # full-width, in G02: 401's again
    rows[5][7] = rows[7][7]  # 502 and 江畔花园 3栋 101 share a phone: two buildings
    res = _init(tmp_path, rows)
    assert res.exit_code == 0, res.output
    assert "3 组疑似重复" in res.output and "张建华" not in res.output and rows[0][8] not in res.output
    groups = json.loads(ok(cli(tmp_path / "office", "office", "duplicates", "--format", "json")).output)
    hs = {f"{h['building']}/{h['room']}": hid for hid, h in office_households_of(tmp_path / "office").items()}
    assert [(g["id"], g["kind"], g["households"]) for g in groups] == [
        ("D1", "id_number", sorted([hs["B01/301"], hs["B01/501"]])),
        ("D2", "id_number", sorted([hs["B01/401"], hs["B01/601"], hs["B02/101"]])),
        ("D3", "phone", sorted([hs["B01/502"], hs["B02/101"]])),
    ]
    table = ok(cli(tmp_path / "office", "office", "duplicates")).output
    assert "同一身份证号" in table and "不同楼栋同一电话" in table and rows[0][8] not in table


def test_no_duplicates_is_said_plainly(site):
    assert ok(cli(site.office, "office", "duplicates")).output.strip() == "没有发现疑似重复的住户。"


def office_households_of(home) -> dict[str, dict]:
    with Store.open(office_store(home), unlock=unlock) as s:
        return {hid: dict(h) for hid, h in s.state.entities["household"].items()}


def _spoil(how):
    from gridtui.demo import load_demo_data

    data = copy.deepcopy(load_demo_data())
    how(data)
    return data


HOSTILE_ROSTERS = {
    "a household that is not a record": lambda d: d["households"].append("oops"),
    "households not a list": lambda d: d.update(households={"H1": {}}),
    "a building without an id": lambda d: d["buildings"][0].pop("id"),
    "a building of no compound": lambda d: d["buildings"][0].update(compound="X999"),
    "a household of no building": lambda d: d["households"][0].pop("building"),
    "a repeated household id": lambda d: d["households"].append(dict(d["households"][0])),
    "a name 5,000 characters long": lambda d: d["households"][0].update(head="张" * 5000),
    "escape codes in a name": lambda d: d["households"][0].update(head="张\x1b[31m三"),
    "people as words": lambda d: d["households"][0].update(people="many"),
    "an unknown tag": lambda d: d["households"][0].update(tags=["nope"]),
    "a visit at no time": lambda d: d["visits"][0].update(at="yesterday"),
    "a visit to nobody": lambda d: d["visits"][0].update(household="H9999"),
    "a status change by nobody": lambda d: next(f for v in d["visits"] for f in v["findings"]
                                                if f["history"])["history"][0].pop("by"),
    "a wish of no finding": lambda d: d["wishes"][0].update(finding="F999999"),
}


@pytest.mark.parametrize("how", HOSTILE_ROSTERS.values(), ids=HOSTILE_ROSTERS.keys())
def test_a_broken_or_hostile_roster_is_one_sentence_and_builds_or_changes_nothing(site, tmp_path, how):
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(_spoil(how), ensure_ascii=False), encoding="utf-8")
    res = cli(tmp_path / "new-office", "office", "init", "--roster", path)
    assert "花名册" in _one_error(res) and not Store.exists(office_store(tmp_path / "new-office"))
    count = office_event_count(site)
    assert "花名册" in _one_error(cli(site.office, "office", "roster", "import", path, "--apply"))
    assert office_event_count(site) == count
