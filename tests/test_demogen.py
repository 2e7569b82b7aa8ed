"""The demo data generator: deterministic, valid against the model, and rich enough to train on."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections import Counter
from pathlib import Path

from gridtui import demogen, model

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "demo_data.json"


@functools.lru_cache(maxsize=None)
def _data_json() -> str:
    # Cached as text so no test can mutate what another sees.
    return json.dumps(demogen.generate(), ensure_ascii=False)


def data() -> dict:
    return json.loads(_data_json())


def _findings(d: dict):
    for v in d["visits"]:
        for f in v["findings"]:
            yield v, f


def _status(f: dict) -> str:
    return f["history"][-1]["status"] if f["history"] else "open"


def _grid_of_household(d: dict) -> dict[str, str]:
    grid_of_building = {b["id"]: b["grid"] for b in d["buildings"]}
    return {h["id"]: grid_of_building[h["building"]] for h in d["households"]}


# --- determinism ------------------------------------------------------------------------------


def test_generate_is_deterministic():
    assert demogen.generate() == demogen.generate()


def test_other_seed_gives_other_data():
    assert demogen.generate(seed=7)["households"] != data()["households"]


def test_committed_file_matches_generate():
    assert COMMITTED.exists(), "run: python -m gridtui.demogen"
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == data()


def test_main_writes_one_record_per_line(tmp_path):
    out = tmp_path / "demo.json"
    assert demogen.main(["--out", str(out), "--seed", "5"]) == 0
    text = out.read_text(encoding="utf-8")
    assert json.loads(text) == demogen.generate(seed=5)
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert lines[1] == '"format":"gridtui-roster/1",'
    household_lines = [ln for ln in lines if ln.startswith('{"id":"H')]
    assert len(household_lines) == len(json.loads(text)["households"])
    assert "幸福里社区" in text  # not \u-escaped


# --- sizes and fixed people ---------------------------------------------------------------------


def test_counts():
    d = data()
    assert d["format"] == "gridtui-roster/1"
    assert d["as_of"] == "2026-11-20"
    assert len(d["grids"]) >= 4
    assert len(d["buildings"]) >= 20
    assert len(d["households"]) >= 600
    assert 3 <= len(d["compounds"]) <= 5


def test_workers_run_their_grids():
    d = data()
    assert [(w["id"], w["grid"]) for w in d["workers"]][:4] == [
        ("W01", "G01"), ("W02", "G02"), ("W03", "G03"), ("W04", "G04")]
    assert {g["id"]: g["worker"] for g in d["grids"]} == {w["grid"]: w["id"] for w in d["workers"]}
    assert d["workers"][0]["name"] == demogen.generate(seed=99)["workers"][0]["name"]


def test_buildings_spread_evenly_over_grids():
    d = data()
    per_grid = Counter(b["grid"] for b in d["buildings"])
    assert max(per_grid.values()) - min(per_grid.values()) <= 1
    compounds = {c["id"] for c in d["compounds"]}
    assert all(b["compound"] in compounds for b in d["buildings"])


def test_the_benchmark_size_has_every_household_it_asks_for():
    d = demogen.generate(grids=1, buildings=60, households=5000)
    assert len(d["households"]) == 5000 and len(d["buildings"]) == 60
    assert len({h["id"] for h in d["households"]}) == 5000


# --- codes and references ------------------------------------------------------------------------


def test_codes_are_valid():
    d = data()
    for h in d["households"]:
        assert set(h["tags"]) <= set(model.TAGS)
    for v in d["visits"]:
        assert v["mode"] in model.MODES
        assert v["outcome"] in model.OUTCOMES
    for _, f in _findings(d):
        assert f["role"] in model.ROLES
        assert f["category"] in model.CATEGORIES[f["role"]]
        assert f["triage"] in model.TRIAGE
        for h in f["history"]:
            assert h["status"] in model.STATUSES
            assert h.get("satisfaction", "satisfied") in model.SATISFACTION
    for w in d["wishes"]:
        assert w["state"] in model.WISH_STATES
        assert all(h["state"] in model.WISH_STATES for h in w["history"])


def test_visits_and_findings_pass_model_validation():
    for v in data()["visits"]:
        model.validate_visit(v)


def test_references_exist_and_ids_are_unique():
    d = data()
    households = {h["id"] for h in d["households"]}
    workers = {w["id"] for w in d["workers"]}
    buildings = {b["id"] for b in d["buildings"]}
    assert all(h["building"] in buildings for h in d["households"])
    assert all(v["household"] in households and v["worker"] in workers for v in d["visits"])
    visit_ids = [v["id"] for v in d["visits"]]
    finding_ids = [f["id"] for _, f in _findings(d)]
    assert len(set(visit_ids)) == len(visit_ids)
    assert len(set(finding_ids)) == len(finding_ids)
    assert len(households) == len(d["households"])


def test_rooms_unique_per_building_and_unit():
    d = data()
    shape = {b["id"]: b for b in d["buildings"]}
    keys = [(h["building"], h["unit"], h["room"]) for h in d["households"]]
    assert len(set(keys)) == len(keys)
    for h in d["households"]:
        b = shape[h["building"]]
        assert 1 <= h["unit"] <= b["units"] and 1 <= h["floor"] <= b["floors"]
        assert h["room"][:-2] == str(h["floor"]) and 1 <= int(h["room"][-2:]) <= 4


def test_visit_worker_is_the_grid_worker():
    d = data()
    grid_of = _grid_of_household(d)
    worker_of = {g["id"]: g["worker"] for g in d["grids"]}
    assert all(v["worker"] == worker_of[grid_of[v["household"]]] for v in d["visits"])


# --- people --------------------------------------------------------------------------------------


def test_people_look_real():
    d = data()
    for h in d["households"]:
        assert h["head"][0] in demogen.SURNAMES and 2 <= len(h["head"]) <= 3
        assert re.fullmatch(r"1[35789]\d{9}", h["phone"])
        idn = h["id_number"]
        assert re.fullmatch(r"\d{17}[\dX]", idn) and demogen.id_checksum(idn[:17]) == idn[17]
        dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))  # a real birth date
        assert 1 <= h["people"] <= 6
        if "elderly_alone" in h["tags"]:
            assert h["people"] == 1
    phones = [h["phone"] for h in d["households"]]
    assert len(set(phones)) == len(phones)


def test_tag_proportions_are_realistic():
    d = data()
    n = len(d["households"])
    tags = Counter(t for h in d["households"] for t in h["tags"])
    untagged = sum(1 for h in d["households"] if not h["tags"])
    assert untagged > n / 2
    assert 0.03 < tags["elderly_alone"] / n < 0.10
    assert 0.10 < tags["rental"] / n < 0.22
    assert 0 < sum(h["moved_out"] for h in d["households"]) < n * 0.05


# --- visits --------------------------------------------------------------------------------------


def test_visits_are_sorted_and_within_the_period():
    d = data()
    ats = [dt.datetime.fromisoformat(v["at"]) for v in d["visits"]]
    assert ats == sorted(ats)
    assert all(v["at"].endswith("+08:00") for v in d["visits"])
    as_of = dt.date.fromisoformat(d["as_of"])
    assert min(ats).date() >= as_of - dt.timedelta(days=93)
    assert max(ats).date() <= as_of


def test_elderly_alone_visited_about_weekly():
    d = data()
    visits = Counter(v["household"] for v in d["visits"])
    elderly = [h["id"] for h in d["households"] if "elderly_alone" in h["tags"]]
    median = sorted(visits[h] for h in elderly)[len(elderly) // 2]
    assert median >= 9  # about thirteen weeks in three months, less lapses


def test_findings_only_on_met_visits_and_at_a_realistic_rate():
    d = data()
    met = [v for v in d["visits"] if v["outcome"] == "met"]
    assert all(not v["findings"] for v in d["visits"] if v["outcome"] != "met")
    with_findings = sum(1 for v in met if v["findings"])
    assert 0.30 < with_findings / len(met) < 0.50
    assert any(len(v["findings"]) == 2 for v in met)


def test_moved_out_households_are_found_vacant():
    d = data()
    moved = {h["id"] for h in d["households"] if h["moved_out"]}
    assert all(v["outcome"] == "vacant" for v in d["visits"] if v["household"] in moved)


def test_roles_in_realistic_proportion():
    d = data()
    roles = Counter(f["role"] for _, f in _findings(d))
    total = sum(roles.values())
    assert roles.most_common(1)[0][0] in ("safety", "service")
    assert 0.02 < roles["mediation"] / total < 0.10
    assert 0.15 < roles["safety"] / total < 0.35


# --- history -------------------------------------------------------------------------------------


def test_history_entries_are_well_formed():
    d = data()
    as_of = dt.date.fromisoformat(d["as_of"])
    workers = {w["id"] for w in d["workers"]}
    for v, f in _findings(d):
        prev = dt.datetime.fromisoformat(v["at"])
        for h in f["history"]:
            at = dt.datetime.fromisoformat(h["at"])
            assert prev <= at and at.date() <= as_of
            prev = at
            assert h["by"] in workers or h["by"] == "office"
            assert ("to" in h) == (h["status"] == "referred")
            if "satisfaction" in h:
                assert h["status"] in ("resolved", "closed")
        if "proposed" in f:
            assert f["role"] == "data"
            assert set(f["proposed"]) <= set(model.PROPOSABLE_FACTS)


def test_status_mix():
    d = data()
    statuses = Counter(_status(f) for _, f in _findings(d))
    assert all(statuses[s] for s in model.STATUSES)
    assert statuses["resolved"] + statuses["closed"] > statuses["open"] + statuses["referred"]


# --- per grid training scenarios -------------------------------------------------------------------


def test_every_grid_has_the_training_scenarios():
    d = data()
    grid_of = _grid_of_household(d)
    visited = {v["household"] for v in d["visits"]}
    for grid in (g["id"] for g in d["grids"]):
        findings = [f for v, f in _findings(d) if grid_of[v["household"]] == grid]
        assert {f["role"] for f in findings} == set(model.ROLES), grid
        overdue = [f for f in findings
                   if _status(f) in model.OPEN_STATUSES and f["due"] and f["due"] < d["as_of"]]
        assert overdue, f"{grid} has no overdue open finding"
        assert any(_status(f) in ("resolved", "closed") for f in findings), grid
        never = [h for h, g in grid_of.items() if g == grid and h not in visited]
        assert never, f"{grid} has no unvisited household"


# --- wishes --------------------------------------------------------------------------------------


def test_wishes_cover_every_state_and_point_at_micro_wish_findings():
    d = data()
    findings = {f["id"]: (v, f) for v, f in _findings(d)}
    assert 15 <= len(d["wishes"]) <= 30
    assert {w["state"] for w in d["wishes"]} == set(model.WISH_STATES)
    for w in d["wishes"]:
        v, f = findings[w["finding"]]
        assert (f["role"], f["category"]) == ("service", "micro_wish")
        assert v["household"] == w["household"]
        assert w["state"] == (w["history"][-1]["state"] if w["history"] else "wish")
        assert (w["claimed_by"] is None) == (w["state"] == "wish")
    assert len({w["id"] for w in d["wishes"]}) == len(d["wishes"])


def test_done_proposals_are_already_in_the_roster():
    d = data()
    households = {h["id"]: h for h in d["households"]}
    applied: dict[str, dict] = {}
    for v, f in _findings(d):
        if "proposed" in f and _status(f) in ("resolved", "closed"):
            applied.setdefault(v["household"], {}).update(f["proposed"])
    assert applied, "some data findings should have been applied"
    for hid, facts in applied.items():
        assert {k: households[hid][k] for k in facts} == facts
