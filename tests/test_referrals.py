"""Referral units and their scorecard (吹哨报到), and 满意率 (issue 16): known answers on the
report tests' community, whose findings were referred to two units."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gridtui.cli import main
from test_report import PERIOD, init_office, ok


def cli(home, *args, **kw):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]], **kw)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return init_office(tmp_path_factory.mktemp("referrals") / "home")


@pytest.fixture
def home(built, tmp_path):
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(built, copy)
    return copy


def scorecard(home, *args):
    return {r["unit"]: r for r in json.loads(ok(cli(home, "office", "referrals", "--format", "json", *args)).stdout)["units"]}


def test_each_unit_is_scored_by_what_was_referred_to_it(home):
    rows = scorecard(home, *PERIOD)
    # F04: referred 11-11 to 街道城管中队, closed 11-20 with 基本满意 → 9 days, 满意率 100 %.
    assert rows["街道城管中队"] == {"unit": "街道城管中队", "referred": 1, "closed": 1, "median_days": 9.0, "worst_days": 9,
                                 "open_overdue": 0, "rated": 1, "satisfied": 0, "basically": 1, "dissatisfied": 0,
                                 "satisfaction_rate": 1.0}
    # F02: referred 11-06 to the property company, still with it on 11-20, due 11-15: past due.
    assert rows["幸福里物业公司"] == {"unit": "幸福里物业公司", "referred": 1, "closed": 0, "median_days": None,
                                  "worst_days": None, "open_overdue": 1, "rated": 0, "satisfied": 0, "basically": 0,
                                  "dissatisfied": 0, "satisfaction_rate": None}
    # A period that starts after both referrals scores nothing.
    assert scorecard(home, "--since", "2026-11-12", "--until", "2026-11-20") == {}
    # One that ends before the closing: referred, not closed yet, not past due on 11-12 (due was none).
    early = scorecard(home, "--since", "2026-11-01", "--until", "2026-11-12")
    assert (early["街道城管中队"]["referred"], early["街道城管中队"]["closed"]) == (1, 0)


def test_the_office_keeps_a_list_of_units_and_refer_asks_before_a_new_name(home, monkeypatch):
    import click.testing

    ok(cli(home, "office", "units", "add", "街道劳动保障所", "街道城管中队"))
    assert json.loads(ok(cli(home, "office", "units", "list", "--format", "json")).stdout) == ["街道劳动保障所", "街道城管中队"]
    # A listed unit with nothing referred is still on the scorecard, with zeros.
    assert scorecard(home, *PERIOD)["街道劳动保障所"]["referred"] == 0
    # A name not on the list (a typo would start a unit of its own): a person at the terminal is
    # asked first, and saying no refers nothing…
    with monkeypatch.context() as m:  # CliRunner's stdin, seen as a terminal
        m.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
        res = cli(home, "office", "refer", "F07", "--to", "街道城管中对", input="n\n")
    assert "不在承办单位名单里。加入名单并转办吗" in res.output
    assert res.exit_code != 0 and "没有转办" in res.output and "--add-unit" in res.output
    assert "Traceback" not in res.output
    assert "街道城管中对" not in json.loads(ok(cli(home, "office", "units", "list", "--format", "json")).stdout)
    # …a script (no terminal) or --add-unit goes on, and the unit is on the list from then on.
    ok(cli(home, "office", "refer", "F07", "--to", "社区人民调解委员会"))
    ok(cli(home, "office", "refer", "F09", "--to", "区市场监督管理局", "--add-unit"))
    assert {"社区人民调解委员会", "区市场监督管理局"} <= set(
        json.loads(ok(cli(home, "office", "units", "list", "--format", "json")).stdout))
    assert scorecard(home, "--since", "2026-11-01")["社区人民调解委员会"]["referred"] == 1


def test_report_has_the_satisfaction_rate_and_the_scorecard_prints_in_80_columns(home):
    from gridtui.textfmt import cell_width

    table = ok(cli(home, "office", "report", *PERIOD)).stdout
    assert "满意率" in table and "66.7%" in table  # safety: two of three return visits satisfied
    text = ok(cli(home, "office", "referrals", *PERIOD)).stdout
    assert "街道城管中队" in text and "100.0%" in text
    assert max(cell_width(line) for line in text.splitlines()) <= 80
    csv_out = ok(cli(home, "office", "referrals", *PERIOD, "--format", "csv")).stdout
    assert csv_out.splitlines()[0].lstrip("\ufeff").split(",")[:3] == ["承办单位", "转办", "办结"]
