"""A demo office that is current (issue 16): `office init --demo` moves the demo's dates to today."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from gridtui.cli import main


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]])


def test_a_demo_office_reports_the_demo_months_up_to_today(tmp_path):
    home = tmp_path / "home"
    res = cli(home, "office", "init", "--demo")
    assert res.exit_code == 0, res.output
    today = dt.date.today()
    month = json.loads(cli(home, "office", "report", "--format", "json").stdout)  # the default period: this month
    assert month["until"] == today.isoformat() and month["total"]["visits"] > 0
    quarter = json.loads(cli(home, "office", "report", "--format", "json", "--since",
                             (today - dt.timedelta(days=92)).isoformat()).stdout)
    assert quarter["total"]["opened"] > 0 and quarter["total"]["coverage"] > 0.5
    later = json.loads(cli(home, "office", "report", "--format", "json", "--since",
                           (today + dt.timedelta(days=1)).isoformat(), "--until",
                           (today + dt.timedelta(days=30)).isoformat()).stdout)
    assert later["total"]["visits"] == 0  # nothing dated after today


def test_init_wants_a_roster_or_the_demo_not_both(tmp_path):
    for args in ([], ["--demo", "--roster", "demo_data.json"]):
        res = cli(tmp_path / "home", "office", "init", *args)
        assert res.exit_code == 2 and "--roster" in res.output and "--demo" in res.output
        assert "Traceback" not in res.output
