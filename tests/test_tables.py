"""Every table the command line prints fits 80 columns (CJK counted as two), with long Chinese names
and the long ids laptops make; those ids are shown short and typed back short (issue 13)."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from conftest import TEST_PIN, small_roster
from gridtui import ids
from gridtui.cli import main
from gridtui.home import real_store
from gridtui.roster import roster_events
from gridtui.store import Store
from gridtui.textfmt import cell_width

LAPTOP_IDS = [f"F3f3bd02a-19ad3f2c{n:04x}0" for n in range(1, 13)]


def long_roster() -> dict:
    r = copy.deepcopy(small_roster())
    r["compounds"][0]["name"] = "幸福里小区东区（原纺织厂家属院）"
    for b in r["buildings"]:
        b["name"] = f"东区第十二号高层住宅楼{b['id']}"
    for h, head in zip(r["households"], ("欧阳建华国", "司马长风", "诸葛孔明亮")):
        h["head"] = head
        h["tags"] = ["elderly_alone", "low_income", "disability"]
    visit = r["visits"][0]
    visit["findings"] = [{"id": fid, "role": role, "category": "other",
                          "asked": "楼道里有人飞线充电，电动车停在楼梯口，很危险，需要尽快处理并通知物业",
                          "action": "", "triage": "coordinate", "due": "2026-11-10", "history": []}
                         for fid, role in zip(LAPTOP_IDS, ["safety", "service", "mediation"] * 4)]
    return r


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    base = tmp_path_factory.mktemp("tables")
    roster = base / "roster.json"
    roster.write_text(json.dumps(long_roster(), ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["--home", str(base / "office"), "office", "init", "--roster", str(roster)],
                             env={"GRIDTUI_PIN": TEST_PIN})
    assert res.exit_code == 0, res.output
    Store.create(real_store(base / "laptop"), {"worker": "W01", "grid": "G01"},
                 roster_events(long_roster(), grid="G01"), pin=TEST_PIN).close()
    # A quarter later: every household changed, one more with a long name, two sharing an ID number.
    later = long_roster()
    for h in later["households"]:
        h.update(phone="13800000000", people=5, id_number="42010619500101123X")
    later["households"].append({**later["households"][0], "id": "H99", "room": "1201", "head": "欧阳上官司马"})
    (base / "q4.json").write_text(json.dumps(later, ensure_ascii=False), encoding="utf-8")
    return base / "office", base / "laptop"


def run(home, *args):
    res = CliRunner().invoke(main, ["--home", str(home), *args], env={"GRIDTUI_PIN": TEST_PIN})
    assert res.exit_code == 0, res.output
    return res.output


OFFICE_TABLES = [("office", "findings"), ("office", "report", "--since", "2026-11-01", "--until", "2026-11-20"),
                 ("office", "report", "--since", "2026-11-01", "--until", "2026-11-20", "--never-visited"),
                 ("office", "report", "--since", "2026-11-01", "--until", "2026-11-20", "--vulnerable"),
                 ("office", "needs", "--since", "2026-11-01", "--until", "2026-11-20"),
                 ("office", "needs", "--since", "2026-11-01", "--until", "2026-11-20", "--by", "building"),
                 ("office", "exports"), ("office", "quarantine"), ("office", "duplicates"), ("office", "wish", "list"),
                 ("office", "roster", "import", "q4.json")]
WORKER_TABLES = [("households",), ("households", "--reveal"), ("households", "--due"), ("households", "--unvisited"),
                 ("households", "--search", "欧阳"), ("quarantine",)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("args", OFFICE_TABLES + WORKER_TABLES, ids=" ".join)
def test_every_table_fits_80_columns(homes, args, lang):
    office, laptop = homes
    args = tuple(str(office.parent / a) if a.endswith(".json") else a for a in args)
    out = run(office if args[0] == "office" else laptop, "--lang", lang, *args)
    assert out.strip()
    widest = max(out.splitlines(), key=cell_width)
    assert cell_width(widest) <= 80, widest


def test_office_findings_shows_short_ids_that_resolve_takes_back(homes):
    office, _ = homes
    out = run(office, "office", "findings")
    shown = ids.short_ids(LAPTOP_IDS)
    assert all(shown[i] in out for i in LAPTOP_IDS) and not any(i in out for i in LAPTOP_IDS)
    assert all(len(s) <= 8 for s in shown.values())
    first = LAPTOP_IDS[0]
    out = run(office, "office", "resolve", shown[first].lower(), "--note", "已处理")
    assert shown[first] in out and "已办结" in out
    rows = json.loads(run(office, "office", "findings", "--format", "json"))
    assert {r["id"]: r["status"] for r in rows}[first] == "resolved"
    assert {r["id"]: r["short"] for r in rows}[first] == shown[first]


def test_a_start_that_matches_several_ids_lists_them_and_an_unknown_id_names_the_office_command(homes):
    office, _ = homes
    res = CliRunner().invoke(main, ["--home", str(office), "office", "refer", "F3f3bd02a", "--to", "物业"],
                             env={"GRIDTUI_PIN": TEST_PIN})
    assert res.exit_code == 2 and "能对上 12 条发现" in res.output and "请多输几位" in res.output
    res = CliRunner().invoke(main, ["--home", str(office), "office", "resolve", "F999999", "--note", "x"],
                             env={"GRIDTUI_PIN": TEST_PIN})
    assert res.exit_code == 2 and "gridtui office findings" in res.output and "gridtui households" not in res.output


def test_short_ids_are_unique_starts_and_roster_ids_stay_as_they_are():
    made = [f"F3f3bd02a-19ad3f2c{n:05x}" for n in range(2000)]
    everything = ["F000006", "F000016", *made]
    shown = ids.short_ids(everything)
    assert shown["F000006"] == "F000006"
    assert len(set(shown.values())) == len(everything)
    for eid in made[:300]:
        assert ids.resolve(shown[eid], everything, "x", "y") == eid
        assert ids.resolve(eid, everything, "x", "y") == eid
    assert ids.resolve(made[7][:-1] + "7", everything, "x", "y") == made[7]  # the whole id, typed
    assert ids.short_ids(list(reversed(everything))) == shown  # whatever order a laptop holds them in
    assert ids.short_form(made[0]) == ids.short_form(str(made[0]))  # derived from the id alone
    # One record's, worked out alone (a command that names what it changed), is the same.
    crowded = [*everything, *(f"F{shown[e][1:]}-x" for e in made[:50])]  # ids that start like the forms
    every = ids.short_ids(crowded)
    assert all(ids.short_id(e, crowded) == every[e] for e in [*crowded[:400], *crowded[-60:]])
    # Resolved and shown at once (a command that changes what it names): the same two answers.
    for typed in [every[crowded[3]], crowded[5], every[crowded[-1]].lower(), "F000016"]:
        eid = ids.resolve(typed, crowded, "x", "y")
        assert ids.resolve_shown(typed, crowded, "x", "y") == (eid, every[eid])
