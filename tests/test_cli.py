"""The command line: households, visit add and its errors, and no Textual on headless paths."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gridtui.cli import main
from gridtui.home import real_store
from gridtui.store import Store


def run(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *args])


def test_households_lists_my_grid_only_with_masked_names(worker_home):
    res = run(worker_home, "households")
    assert res.exit_code == 0, res.output
    assert "H01" in res.output and "H02" in res.output and "H03" not in res.output
    assert "张*华" in res.output and "张建华" not in res.output
    assert "独居老人" in res.output


def test_households_json_and_unvisited_filter(worker_home):
    rows = json.loads(run(worker_home, "households", "--format", "json").output)
    assert {r["id"] for r in rows} == {"H01", "H02"}
    assert all("*" in r["head"] for r in rows)
    run(worker_home, "visit", "add", "--household", "H02", "--outcome", "met")
    rows = json.loads(run(worker_home, "households", "--unvisited", "--format", "json").output)
    assert "H02" not in {r["id"] for r in rows}


def test_visit_add_records_findings_under_two_roles(worker_home):
    res = run(worker_home, "visit", "add", "--household", "H02", "--outcome", "met",
              "--finding", "safety/ebike_charging:楼道飞线充电", "--finding", "4:想要一副老花镜", "--due", "2026-12-01")
    assert res.exit_code == 0, res.output
    s = Store.open(real_store(worker_home))
    findings = [f for f in s.state.entities["finding"].values() if f["household"] == "H02"]
    s.close()
    assert sorted((f["role"], f["category"], f["due"]) for f in findings) == [
        ("safety", "ebike_charging", "2026-12-01"), ("service", "other", "2026-12-01")]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--household", "H99", "--outcome", "met"], "H99"),
        (["--household", "H03", "--outcome", "met"], "H03"),  # another grid's household
        (["--household", "H01", "--outcome", "met", "--finding", "cook:做饭"], "cook"),
        (["--household", "H01", "--outcome", "met", "--finding", "9:x"], "1–7"),
        (["--household", "H01", "--outcome", "met", "--finding", "safety/fly:x"], "fly"),
        (["--household", "H01", "--outcome", "met", "--finding", "no colon"], "no colon"),
        (["--household", "H01", "--outcome", "met", "--finding", "safety:x", "--due", "2026-13-01"], "2026-13-01"),
        (["--household", "H01", "--outcome", "no_answer", "--finding", "safety:x"], "未见到"),
    ],
)
def test_visit_add_errors_are_one_line_exit_2_and_save_nothing(worker_home, args, words):
    before = Store.open(real_store(worker_home))
    count = before.event_count
    before.close()
    res = run(worker_home, "visit", "add", *args)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.output
    after = Store.open(real_store(worker_home))
    assert after.event_count == count
    after.close()


def test_wrong_flag_value_is_exit_2(worker_home):
    res = run(worker_home, "visit", "add", "--household", "H01", "--outcome", "maybe")
    assert res.exit_code == 2 and "maybe" in res.output


def test_errors_speak_english_with_lang_en(worker_home):
    res = run(worker_home, "--lang", "en", "visit", "add", "--household", "H99", "--outcome", "met")
    assert res.exit_code == 2 and "No household with id H99" in res.output


def test_store_in_use_is_one_plain_sentence(worker_home):
    held = Store.open(real_store(worker_home))
    try:
        res = run(worker_home, "households")
    finally:
        held.close()
    assert res.exit_code == 2
    assert f"进程 {os.getpid()}" in res.output and "Traceback" not in res.output


def test_disk_full_loses_nothing(worker_home, monkeypatch):
    import errno

    from gridtui import atomic

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    res = run(worker_home, "visit", "add", "--household", "H01", "--outcome", "met")
    monkeypatch.undo()
    assert res.exit_code == 2 and "磁盘已满" in res.output
    s = Store.open(real_store(worker_home))
    assert len(s.state.entities["visit"]) == 1  # the one from the roster, intact
    s.close()


def test_not_set_up_says_what_to_do(tmp_path):
    res = run(tmp_path / "empty", "households")
    assert res.exit_code == 2 and "--demo" in res.output
    res = run(tmp_path / "empty")
    assert res.exit_code == 1 and "gridtui demo" in res.output


def test_home_from_environment(worker_home, monkeypatch):
    monkeypatch.setenv("GRIDTUI_HOME", str(worker_home))
    res = CliRunner().invoke(main, ["households"])
    assert res.exit_code == 0 and "H01" in res.output


@pytest.mark.parametrize("args", [["--help"], ["households"], ["visit", "add", "--household", "H01", "--outcome", "met"],
                                  ["config"], ["office", "--help"], ["sync", "--help"]])
def test_headless_commands_never_import_textual(worker_home, args):
    code = (
        "import sys\n"
        "from gridtui.cli import main\n"
        "try:\n"
        f"    main({['--home', str(worker_home), *args]!r})\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


def test_cycle_setting_is_validated_saved_and_used(worker_home):
    assert run(worker_home, "config", "cycle", "fortnight").exit_code == 2
    assert run(worker_home, "config", "cycle", "14d").exit_code == 0
    assert run(worker_home, "config", "cycle").output.strip() == "14d"
    # The roster's only visit (H01, 2026-11-02) is outside a 14-day cycle ending today.
    rows = json.loads(run(worker_home, "households", "--unvisited", "--format", "json").output)
    assert "H01" in {r["id"] for r in rows}


def test_demo_reset_restores_the_training_data(tmp_path):
    from gridtui.demo import open_training

    s = open_training(tmp_path, "W02")
    before = s.event_count
    hid = next(iter(s.state.entities["household"]))
    s.record_visit({"household": hid, "outcome": "met"})
    assert s.training and all(e.get("train") for e in s.events())
    s.close()
    s = open_training(tmp_path, "W02")
    assert s.event_count == before + 1
    s.close()
    s = open_training(tmp_path, "W02", reset=True)
    assert s.event_count == before and s.meta["grid"] == "G02"
    s.close()


def test_demo_unknown_worker_is_one_line(tmp_path):
    res = run(tmp_path, "demo", "--worker", "W99")
    assert res.exit_code == 2 and "W99" in res.output and "W01" in res.output


def test_second_copy_of_the_app_says_the_data_is_in_use(tmp_path):
    from gridtui.demo import open_training

    held = open_training(tmp_path, "W01")
    try:
        res = run(tmp_path, "demo")
    finally:
        held.close()
    assert res.exit_code == 2 and f"进程 {os.getpid()}" in res.output
    assert "Traceback" not in res.output


def test_office_disable_and_reenable(tmp_path):
    from conftest import small_roster

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    home = tmp_path / "office"
    assert run(home, "office", "init", "--roster", str(roster)).exit_code == 0
    first = run(home, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01").output.splitlines()[-1]
    assert run(home, "office", "disable", "W01").exit_code == 0
    res = run(home, "office", "disable", "W09")
    assert res.exit_code == 2 and "W09" in res.output
    from gridtui.home import office_store
    from gridtui.office.ledger import Ledger

    ledger = Ledger(office_store(home))
    assert ledger.workers()["W01"].enabled is False
    ledger.close()
    again = run(home, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01").output.splitlines()[-1]
    ledger = Ledger(office_store(home))
    assert ledger.workers()["W01"].enabled is True and again != first  # a new key: the old one is dead
    ledger.close()
