"""Keys, PINs, crashes: nothing personal leaks on the way (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import small_roster
from gridtui import keys
from gridtui.cli import main
from gridtui.home import real_store

ROOT = Path(__file__).resolve().parent.parent
NAME, PHONE = "范卫国", "18136726640"  # a demo resident (H0001)


def _run(code: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRIDTUI_HOME": str(home), "PYTHONPATH": str(ROOT), "TEXTUAL_ANIMATIONS": "none"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)


def _reports(home: Path) -> list[Path]:
    return sorted((home / "crash").glob("gridtui-crash-*.txt"))


def test_a_crash_in_the_app_shows_one_sentence_and_no_resident_data(tmp_path):
    home = tmp_path / "home"
    res = _run(f"""
        from gridtui.demo import open_training
        from gridtui.tui.app import GridApp
        from gridtui.tui import buildings
        from pathlib import Path
        import os
        store = open_training(Path(os.environ["GRIDTUI_HOME"]), "W01")
        def boom(self):
            raise ValueError("{NAME} {PHONE} key=s3cr3t-key")  # a bug whose message quotes data
        buildings.BuildingsScreen.refresh_data = boom
        GridApp(store, home=Path(os.environ["GRIDTUI_HOME"])).run(headless=True, size=(80, 24))
        store.close()
        """, home)
    screen = res.stdout + res.stderr
    assert "程序错误" in screen and "Traceback" not in screen, screen
    for secret in (NAME, PHONE, "s3cr3t-key", "refresh_data ="):
        assert secret not in screen, secret
    (report,) = _reports(home)
    text = report.read_text(encoding="utf-8")
    assert "builtins.ValueError" in text and "gridtui/tui/base.py" in text  # where, not what
    for secret in (NAME, PHONE, "s3cr3t-key"):
        assert secret not in text
    if os.name == "posix":
        assert report.stat().st_mode & 0o077 == 0


def test_a_crash_in_a_command_shows_one_sentence_and_writes_a_report(tmp_path):
    home = tmp_path / "home"
    res = _run(f"""
        import sys
        from gridtui import cli, views
        def boom(*a, **k):
            raise KeyError("{NAME} {PHONE}")
        views.households_list = boom
        sys.argv = ["gridtui", "--demo", "households"]
        cli.run()
        """, home)
    assert res.returncode == 70
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：gridtui 出了程序错误") and "Traceback" not in res.stderr
    assert NAME not in res.stderr + res.stdout and PHONE not in res.stderr + res.stdout
    (report,) = _reports(home)
    text = report.read_text(encoding="utf-8")
    assert "builtins.KeyError" in text and "cli/main.py" in text and NAME not in text and PHONE not in text


# --- keys: never on the command line, typos caught, enrolment that says what it does ---------------------


def cli(home, *args, input=None):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]], input=input)


def _office(tmp_path):
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    office, shared = tmp_path / "office", tmp_path / "shared"
    shared.mkdir()
    assert cli(office, "office", "init", "--roster", roster).exit_code == 0
    printed = cli(office, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01").output.splitlines()[-1]
    assert cli(office, "office", "publish", "--shared", shared).exit_code == 0
    return office, shared, printed


def test_keys_are_printed_in_groups_with_a_check_character(tmp_path):
    _, _, printed = _office(tmp_path)
    groups = printed.split("-")
    assert [len(g) for g in groups] == [4] * 8 + [1]
    assert keys.parse(printed.lower().replace("-", " ")) == printed.replace("-", "")


def test_the_key_cannot_be_given_on_the_command_line(tmp_path):
    office, shared, printed = _office(tmp_path)
    home = tmp_path / "laptop"
    res = cli(home, "setup", "--shared", shared, "--worker", "W01", "--key", printed)
    assert res.exit_code == 2 and "密钥不能写在命令行上" in res.output
    assert not real_store(home).exists()


def test_a_typo_in_the_key_is_caught_before_anything_is_written(tmp_path):
    office, shared, printed = _office(tmp_path)
    body = printed.replace("-", "")
    typo = body[:5] + ("0" if body[5] != "0" else "1") + body[6:]
    home = tmp_path / "laptop"
    res = cli(home, "setup", "--shared", shared, "--worker", "W01", input=typo + "\n")
    assert res.exit_code == 2 and "校验位对不上" in res.output and not real_store(home).exists()


def test_the_key_from_a_file_or_standard_input(tmp_path):
    office, shared, printed = _office(tmp_path)
    key_file = tmp_path / "key.txt"
    key_file.write_text(printed + "\n", encoding="utf-8")
    assert cli(tmp_path / "a", "setup", "--shared", shared, "--worker", "W01", "--key-file", key_file).exit_code == 0
    assert cli(tmp_path / "b", "setup", "--shared", shared, "--worker", "W01", input=printed + "\n").exit_code == 0


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads another process's argv through /proc")
def test_the_key_is_never_in_the_processs_argv_while_setup_runs(tmp_path):
    office, shared, printed = _office(tmp_path)
    pin = tmp_path / "pin"
    pin.write_text("laptop-pin-2468\n", encoding="utf-8")
    pin.chmod(0o600)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRIDTUI_PIN_FILE": str(pin)}
    env.pop("GRIDTUI_PIN", None)
    proc = subprocess.Popen([sys.executable, "-m", "gridtui", "--home", str(tmp_path / "laptop"), "setup",
                             "--shared", str(shared), "--worker", "W01"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        import time

        time.sleep(0.5)  # setup is running, waiting for the key
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        out, err = proc.communicate(printed + "\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert printed.encode() not in cmdline and printed.replace("-", "").encode() not in cmdline
    assert printed not in out + err


def test_enrolling_an_enrolled_worker_again_points_at_rekey_and_a_move_keeps_the_key(tmp_path):
    office, shared, printed = _office(tmp_path)
    res = cli(office, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01")
    assert res.exit_code == 2 and "office rekey W01" in res.output
    res = cli(office, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G02")
    assert res.exit_code == 0 and "密钥不变" in res.output and printed not in res.output



# --- what gridtui writes is its owner's only ------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_every_file_is_0600_and_every_folder_0700_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        office, shared, printed = _office(tmp_path)
        home = tmp_path / "laptop"
        assert cli(home, "setup", "--shared", shared, "--worker", "W01", input=printed + "\n").exit_code == 0
        assert cli(home, "visit", "add", "--household", "H01", "--outcome", "met").exit_code == 0
        assert cli(home, "sync").exit_code == 0
        report = tmp_path / "report.txt"
        assert cli(office, "office", "report", "-o", report).exit_code == 0
    finally:
        os.umask(old)
    loose = []
    for root, own in ((office, True), (home, True), (shared, False)):  # the shared folder is the office's own
        for p in [root, *root.rglob("*")] if own else list(root.rglob("*")):
            mode = p.stat().st_mode & 0o777
            if mode != (0o700 if p.is_dir() else 0o600):
                loose.append((str(p), oct(mode)))
    assert report.stat().st_mode & 0o777 == 0o600
    assert loose == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_pin_file_others_can_read_is_refused(tmp_path):
    office, _, _ = _office(tmp_path)
    pin = tmp_path / "office.pin"
    pin.write_text("test-pin-2468\n", encoding="utf-8")
    pin.chmod(0o644)
    res = CliRunner().invoke(main, ["--home", str(office), "--pin-file", str(pin), "office", "findings"],
                             env={"GRIDTUI_PIN": None})
    assert res.exit_code == 2 and "其他用户也能读取" in res.output and "chmod 600" in res.output


def test_a_report_naming_care_households_to_a_file_is_recorded_with_the_os_account(tmp_path):
    from gridtui.office.export import os_user

    office, _, _ = _office(tmp_path)
    out = tmp_path / "vulnerable.csv"
    res = CliRunner().invoke(main, ["--home", str(office), "office", "report", "--vulnerable", "--format", "csv",
                                    "-o", str(out)], env={"USER": "somebody-else", "LOGNAME": "somebody-else"})
    assert res.exit_code == 0, res.output
    listed = cli(office, "office", "exports").output
    assert str(out) in listed and f"{os_user()}@" in listed and "somebody-else" not in listed


def test_the_shared_folder_can_move_without_the_key(tmp_path):
    import shutil

    office, shared, printed = _office(tmp_path)
    home = tmp_path / "laptop"
    assert cli(home, "setup", "--shared", shared, "--worker", "W01", input=printed + "\n").exit_code == 0
    moved = tmp_path / "E-drive"
    shutil.copytree(shared, moved)  # the stick came back under another drive letter
    assert "不存在" in cli(home, "config", "shared", tmp_path / "nowhere").output
    res = cli(home, "config", "shared", moved)
    assert res.exit_code == 0, res.output
    assert cli(home, "visit", "add", "--household", "H01", "--outcome", "met").exit_code == 0
    assert cli(home, "sync").exit_code == 0
    assert list((moved / "to-office" / "W01").glob("*.json"))


def test_reports_run_while_a_merge_holds_the_office_store(tmp_path):
    from conftest import unlock
    from gridtui.home import office_store
    from gridtui.store import Store

    office, shared, _ = _office(tmp_path)
    with Store.open(office_store(office), unlock=unlock):  # a merge or a publish at work
        for args in (("office", "report"), ("office", "needs"), ("office", "findings"), ("office", "exports")):
            res = cli(office, *args)
            assert res.exit_code == 0, (args, res.output)
        res = cli(office, "office", "merge", "--shared", shared)
        assert res.exit_code == 2 and "正被另一个 gridtui 使用" in res.output  # a writer waits, then says so


# --- PINs a thief would not try first ----------------------------------------------------------------


@pytest.mark.parametrize("pin", ["123456", "000000", "5201314", "password", "12341234", "19801980"])
def test_common_pins_are_refused(tmp_path, pin):
    office, shared, printed = _office(tmp_path)
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "laptop"), "setup", "--shared", str(shared),
                                    "--worker", "W01"], input=printed + "\n", env={"GRIDTUI_PIN": pin})
    assert res.exit_code == 2 and "太常见" in res.output and not real_store(tmp_path / "laptop").exists()


def test_the_office_pin_is_at_least_eight_and_a_passphrase_is_offered(tmp_path, monkeypatch):
    from gridtui.cli import pin as pin_mod

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "o"), "office", "init", "--roster", str(roster)],
                             env={"GRIDTUI_PIN": "7391-84"})
    assert res.exit_code == 2 and "至少要 8 位" in res.output
    monkeypatch.delenv("GRIDTUI_PIN")
    typed = iter(["7391-84", "7391-8462-0573", "7391-8462-0573"])  # too short once, then a good one twice
    monkeypatch.setattr(pin_mod, "prompt", lambda text: next(typed))
    res = CliRunner().invoke(main, ["--home", str(tmp_path / "o"), "office", "init", "--roster", str(roster)])
    assert res.exit_code == 0, res.output
    assert "可以用这个随机生成的" in res.output and "至少要 8 位" in res.output


def test_masks_hide_landlines_and_one_character_names():
    from gridtui import model

    assert model.mask_phone("62345678") == "****5678"  # a landline: no more than its last four
    assert model.mask_phone("13812345678") == "138****5678"
    assert model.mask_name("王") == "*" and model.mask_name("李娜") == "李*"


# --- the app locks when left open ----------------------------------------------------------------------


async def test_the_app_locks_when_left_open_and_names_need_the_pin_again(worker_home):
    from conftest import TEST_PIN, unlock
    from gridtui.store import Store
    from gridtui.tui.app import GridApp
    from test_tui import on_screen, text_of

    with Store.open(real_store(worker_home), unlock=unlock) as s:
        app = GridApp(s, lock_minutes=0.01)  # 0.6 s idle, checked every 0.3 s
        async with app.run_test(size=(80, 24)) as pilot:
            await on_screen(pilot, "BuildingsScreen")
            await on_screen(pilot, "PinScreen", timeout=10)
            assert "已锁定" in text_of(app.screen.query_one(".dialog-title"))
            await pilot.press(*"wrong-pin-99", "enter")
            await pilot.pause()
            assert "PIN 不正确" in text_of(app.screen.query_one("#error"))
            await pilot.press(*TEST_PIN, "enter")
            await on_screen(pilot, "BuildingsScreen")
            app.lock_minutes = 0  # no more locking while the rest is checked
            await pilot.press("enter")
            await on_screen(pilot, "BuildingScreen")
            await pilot.press("enter")
            await on_screen(pilot, "HouseholdScreen")
            await pilot.press("r")
            await on_screen(pilot, "PinScreen")  # after a lock, names need the PIN again
            await pilot.press(*TEST_PIN, "enter")
            await on_screen(pilot, "HouseholdScreen")
            assert app.screen.reveal
