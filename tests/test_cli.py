"""The command line: households, visit add and its errors, and no Textual on headless paths."""

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import TEST_PIN, unlock
from gridtui.keys import parse as parse_key
from gridtui.cli import main
from gridtui.home import real_store
from gridtui.store import Store, local_now


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
    due = (local_now().date() + dt.timedelta(days=7)).isoformat()  # a follow-up date must not be past
    res = run(worker_home, "visit", "add", "--household", "H02", "--outcome", "met",
              "--finding", "safety/ebike_charging:楼道飞线充电", "--finding", "4:想要一副老花镜", "--due", due)
    assert res.exit_code == 0, res.output
    s = Store.open(real_store(worker_home), unlock=unlock)
    findings = [f for f in s.state.entities["finding"].values() if f["household"] == "H02"]
    s.close()
    assert sorted((f["role"], f["category"], f["due"]) for f in findings) == [
        ("safety", "ebike_charging", due), ("service", "other", due)]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--household", "H99", "--outcome", "met"], "H99"),
        (["--household", "H03", "--outcome", "met"], "H03"),  # another grid's household
        (["--household", "H01", "--outcome", "met", "--finding", "cook:做饭"], "cook"),
        (["--household", "H01", "--outcome", "met", "--finding", "9:x"], "7 安全员（safety）"),
        (["--household", "H01", "--outcome", "met", "--finding", "safety/fly:x"], "fly"),
        (["--household", "H01", "--outcome", "met", "--finding", "no colon"], "no colon"),
        (["--household", "H01", "--outcome", "met", "--finding", "safety:x", "--due", "2026-13-01"], "2026-13-01"),
        (["--household", "H01", "--outcome", "no_answer", "--finding", "safety:x"], "未见到"),
    ],
)
def test_visit_add_errors_are_one_line_exit_2_and_save_nothing(worker_home, args, words):
    before = Store.open(real_store(worker_home), unlock=unlock)
    count = before.event_count
    before.close()
    res = run(worker_home, "visit", "add", *args)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.output
    after = Store.open(real_store(worker_home), unlock=unlock)
    assert after.event_count == count
    after.close()


def test_wrong_flag_value_is_exit_2(worker_home):
    res = run(worker_home, "visit", "add", "--household", "H01", "--outcome", "maybe")
    assert res.exit_code == 2 and "maybe" in res.output


def test_errors_speak_english_with_lang_en(worker_home):
    res = run(worker_home, "--lang", "en", "visit", "add", "--household", "H99", "--outcome", "met")
    assert res.exit_code == 2 and "No household has the id H99; run gridtui households" in res.output


def test_store_in_use_is_one_plain_sentence(worker_home):
    held = Store.open(real_store(worker_home), unlock=unlock)
    try:
        res = run(worker_home, "visit", "add", "--household", "H01", "--outcome", "met")
        listed = run(worker_home, "households")  # reading needs no lock: it runs beside the holder
    finally:
        held.close()
    assert res.exit_code == 2
    assert f"进程 {os.getpid()}" in res.output and "Traceback" not in res.output
    assert listed.exit_code == 0 and "H01" in listed.output


def test_eight_visits_saved_at_once_all_wait_their_turn(worker_home):
    import subprocess
    import sys

    code = ("import sys; from gridtui.cli import run; sys.argv = ['gridtui', '--home', sys.argv[1], 'visit', 'add',"
            " '--household', 'H01', '--outcome', 'met', '--note', sys.argv[2]]; run()")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(worker_home), f"第{i}次"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(8)]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0] * 8, [p.stderr.read().decode() for p in procs]
    with Store.open(real_store(worker_home), unlock=unlock) as s:
        notes = {v["note"] for v in s.state.entities["visit"].values()}
    assert {f"第{i}次" for i in range(8)} <= notes


def test_disk_full_loses_nothing(worker_home, monkeypatch):
    import errno

    from gridtui import atomic

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    res = run(worker_home, "visit", "add", "--household", "H01", "--outcome", "met")
    monkeypatch.undo()
    assert res.exit_code == 2 and "磁盘已满" in res.output
    s = Store.open(real_store(worker_home), unlock=unlock)
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


def test_the_app_without_a_terminal_says_so_and_does_not_wait_forever(tmp_path):
    # Redirected (a script, a scheduled task, `gridtui demo > log.txt`), Textual would wait for keys
    # that never come while drawing into the file.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", "from gridtui.entry import run; run()", "--home", str(tmp_path), "demo"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    assert "终端" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    assert "\x1b[" not in proc.stderr + proc.stdout  # nothing drawn


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX's")
def test_the_app_closes_when_its_terminal_goes_away(tmp_path):
    # A terminal gone with no hang-up signal reaching the app (a window closed under setsid, an
    # SSH link dropped): Textual would spin on it at full speed forever, holding the store.
    import fcntl
    import select
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80×24, as a window opens
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-c", "from gridtui.entry import run; run()", "--home", str(tmp_path),
                             "demo"], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        drawn, deadline = b"", time.monotonic() + 60
        while "网格员".encode() not in drawn and time.monotonic() < deadline:  # its first screen
            if select.select([master], [], [], 0.5)[0]:
                drawn += os.read(master, 65536)
        assert "网格员".encode() in drawn
        os.close(master)  # the terminal is gone; no signal is sent
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (tmp_path / "crash").exists()
    from gridtui.demo import open_training

    open_training(tmp_path, "W01").close()  # the store was let go


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


def _office_with_w01(tmp_path):
    """An office initialised from the small roster with W01 enrolled on G01: (home, W01's key)."""
    from conftest import small_roster

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    home = tmp_path / "office"
    assert run(home, "office", "init", "--roster", str(roster)).exit_code == 0
    return home, parse_key(run(home, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01").output.splitlines()[-1])


def test_office_disable_and_reenable(tmp_path):
    home, first = _office_with_w01(tmp_path)
    assert run(home, "office", "disable", "W01").exit_code == 0
    res = run(home, "office", "disable", "W09")
    assert res.exit_code == 2 and "W09" in res.output
    from gridtui.home import office_store
    from gridtui.office.ledger import Ledger

    def workers():
        with Store.open(office_store(home), unlock=unlock, load=False) as s, Ledger.open(s) as ledger:
            return ledger.workers()

    assert workers()["W01"].enabled is False
    again = parse_key(run(home, "office", "enroll", "W01", "--name", "李秀英", "--grid", "G01").output.splitlines()[-1])
    assert workers()["W01"].enabled is True and again != first  # a new key: the old one is dead


# --- the PIN ----------------------------------------------------------------------------------------

NEW_PIN = "new-pin-1357"


def typed(home, *args, input):
    """A command run at a terminal: no PIN in the environment, answers typed at the prompts."""
    return CliRunner().invoke(main, ["--home", str(home), *args], input=input)


def error_line(res) -> str:
    """The one error of a failed command, last and alone; prompts before it go to stderr too."""
    assert res.exit_code == 2, (res.output, res.exception)
    assert "Traceback" not in res.output and res.stdout == ""
    errors = [ln for ln in res.output.splitlines() if ln.startswith("错误：")]
    assert len(errors) == 1 and res.output.splitlines()[-1] == errors[0], res.output
    return errors[0]


def key_file(home):
    from gridtui import vault

    return (real_store(home) / vault.KEY_FILE).read_bytes()


def test_passwd_changes_the_pin_and_the_old_one_stops_working(worker_home, monkeypatch):
    from gridtui import vault

    monkeypatch.delenv("GRIDTUI_PIN")
    res = typed(worker_home, "passwd", input=f"{TEST_PIN}\n{NEW_PIN}\n{NEW_PIN}\n")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[-1] == "PIN 已更改。" and TEST_PIN not in res.output and NEW_PIN not in res.output
    folder = real_store(worker_home)
    with pytest.raises(vault.WrongPin):
        vault.unlock(folder, TEST_PIN)
    with Store.open(folder, unlock=lambda f: vault.unlock(f, NEW_PIN)) as s:
        assert {"H01", "H02"} <= set(s.state.entities["household"])  # the data is as it was
    res = typed(worker_home, "households", input=f"{NEW_PIN}\n")
    assert res.exit_code == 0 and "H01" in res.stdout


def test_passwd_with_a_wrong_old_pin_changes_nothing(worker_home, monkeypatch):
    before = key_file(worker_home)
    monkeypatch.setenv("GRIDTUI_PIN", "not-the-pin")  # the given PIN is the current one: no prompt
    res = run(worker_home, "passwd")
    assert res.exit_code == 2 and "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：PIN 不正确"), res.output
    monkeypatch.delenv("GRIDTUI_PIN")
    line = error_line(typed(worker_home, "passwd", input="wrong-1\n" * 3 + f"{NEW_PIN}\n{NEW_PIN}\n"))
    assert "PIN 不正确" in line
    assert key_file(worker_home) == before
    Store.open(real_store(worker_home), unlock=unlock).close()  # the old PIN still opens


def test_passwd_refuses_a_short_new_pin(worker_home, monkeypatch):
    before = key_file(worker_home)
    monkeypatch.delenv("GRIDTUI_PIN")
    line = error_line(typed(worker_home, "passwd", input=f"{TEST_PIN}\n" + "abc12\nabc12\n" * 3))
    assert "PIN 太短" in line and "6" in line
    assert key_file(worker_home) == before
    Store.open(real_store(worker_home), unlock=unlock).close()


def test_a_new_pin_typed_differently_twice_is_asked_again(worker_home, monkeypatch):
    monkeypatch.delenv("GRIDTUI_PIN")
    res = typed(worker_home, "passwd", input=f"{TEST_PIN}\n{NEW_PIN}\n{NEW_PIN}x\n{NEW_PIN}\n{NEW_PIN}\n")
    assert res.exit_code == 0, res.output
    assert "两次输入的 PIN 不一致" in res.output
    from gridtui import vault

    vault.unlock(real_store(worker_home), NEW_PIN)


def test_a_wrong_pin_typed_three_times_is_one_error_line(worker_home, monkeypatch):
    monkeypatch.delenv("GRIDTUI_PIN")
    line = error_line(typed(worker_home, "households", input="wrong\nwrong\nwrong\n"))
    assert "PIN 不正确" in line
    res = typed(worker_home, "households", input=f"{TEST_PIN}\n")
    assert res.exit_code == 0, res.output
    assert "H01" in res.stdout and TEST_PIN not in res.output


def test_the_pin_from_a_file(worker_home, tmp_path, monkeypatch):
    monkeypatch.delenv("GRIDTUI_PIN")
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text(f"{TEST_PIN}\n", encoding="utf-8")
    pin_file.chmod(0o600)  # a PIN file others can read is refused
    res = CliRunner().invoke(main, ["--home", str(worker_home), "--pin-file", str(pin_file), "households"])
    assert res.exit_code == 0 and "H01" in res.output, res.output


def test_a_store_from_before_encryption_is_encrypted_on_first_open(tmp_path):
    """A laptop set up by an older gridtui: plain files, the sync key in config.json, full ID numbers."""
    from conftest import small_roster
    from gridtui import model, vault
    from gridtui.home import load_config, save_config
    from gridtui.roster import roster_events

    home, shared = tmp_path / "old-laptop", tmp_path / "shared"
    roster = small_roster()
    full_id = "42010619500101123X"
    roster["households"][0]["id_number"] = full_id  # H01, in W01's grid
    Store.create(real_store(home), {"worker": "W01", "grid": "G01"}, roster_events(roster, grid="G01")).close()
    save_config(home, {"key": "abc", "shared": str(shared), "lang": "zh"})
    folder = real_store(home)
    assert full_id.encode() in (folder / "events-00001.log").read_bytes()

    res = run(home, "households")  # the new PIN comes from GRIDTUI_PIN
    assert res.exit_code == 0 and "H01" in res.stdout, res.output

    assert (folder / vault.KEY_FILE).is_file() and not vault.is_migrating(folder)
    for name in ("meta.json", "events-00001.log"):
        raw = (folder / name).read_bytes()
        assert raw.startswith(b"gridtui-enc/1"), name
        assert "张建华".encode() not in raw and full_id.encode() not in raw
    config = load_config(home)
    assert "key" not in config and config["shared"] == str(shared) and config["lang"] == "zh"
    assert "abc" not in (home / "config.json").read_text(encoding="utf-8")
    with Store.open(folder, unlock=unlock) as s:
        assert s.meta["key"] == "abc" and s.meta["worker"] == "W01"
        h01 = s.state.entities["household"]["H01"]
        assert h01["id_number"] == model.mask_id_number(full_id) != full_id  # only the office keeps it whole
        assert h01["head"] == "张建华"  # names and phones stay for the door
    assert run(home, "households").exit_code == 0  # and it opens again the usual way


def test_office_passwd_and_rekey(tmp_path):
    from gridtui import vault
    from gridtui.home import office_store
    from gridtui.office.ledger import Ledger

    home, first = _office_with_w01(tmp_path)

    res = run(home, "office", "rekey", "W01")
    assert res.exit_code == 0, res.output
    key = parse_key(res.output.splitlines()[-1])
    assert run(home, "office", "disable", "W01").exit_code == 0
    res = run(home, "office", "rekey", "W01")  # a disabled worker gets a key and stays disabled
    assert res.exit_code == 0 and "W01" in res.output.splitlines()[-2]
    latest = parse_key(res.output.splitlines()[-1])
    assert len({first, key, latest}) == 3
    with Store.open(office_store(home), unlock=unlock, load=False) as s, Ledger.open(s) as ledger:
        w = ledger.workers()["W01"]
    assert (w.key, w.enabled) == (latest, False)
    res = run(home, "office", "rekey", "W09")
    assert res.exit_code == 2 and "W09" in res.output

    # The current PIN is the given one (GRIDTUI_PIN); the new one is typed twice.
    res = CliRunner().invoke(main, ["--home", str(home), "office", "passwd"], input=f"{NEW_PIN}\n{NEW_PIN}\n")
    assert res.exit_code == 0 and res.output.splitlines()[-1] == "PIN 已更改。", res.output
    with pytest.raises(vault.WrongPin):
        vault.unlock(office_store(home), TEST_PIN)
    vault.unlock(office_store(home), NEW_PIN)
