"""The command line speaks the secretary's language (issue 13): every --help, every usage error, in
Chinese by default and in English with --lang en; global options before or after the subcommand."""

from __future__ import annotations

import json
import re

import click
import pytest
from click.testing import CliRunner

from conftest import small_roster
from gridtui import i18n, model
from gridtui.cli import main
from gridtui.textfmt import cell_width


def commands(group: click.Group = main, path: tuple[str, ...] = ()):
    yield path
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name)


def _allowed() -> set[str]:
    """English words a Chinese help may hold: codes, option and file names, formats."""
    words = {"gridtui", "json", "jsonl", "csv", "xlsx", "html", "table", "demo", "PIN", "SHARED", "YYYY", "BOM", "UTF",
             "Excel", "Windows", "docs", "security", "roster", "vocabulary", "demo_data", "GRIDTUI_HOME", "Syncthing",
             "to-worker", "to-office", "key-file", "pin-file", "never-visited", "include-sensitive", "until",
             "since", "help", "home", "lang", "worker", "unvisited", "search", "reveal", "format", "household",
             "outcome", "mode", "finding", "due", "note", "shared", "reset", "roster", "export", "exports", "enroll",
             "disable", "rekey", "passwd", "publish", "merge", "quarantine", "findings", "resolve", "refer",
             "report", "needs", "interval", "vulnerable", "grid", "top", "households", "setup", "sync", "config",
             "cycle", "week", "month", "quarter", "lock", "office", "name", "status", "role", "overdue", "output",
             "init", "visit", "add", "building", "compound", "fwg", "duplicates", "import", "apply", "elderly_alone", "OPTIONS", "UTF-", "YYYY-MM-DD"}
    for group in (model.ROLES, model.OUTCOMES, model.MODES, model.STATUSES, model.TRIAGE, model.TAGS,
                  model.SATISFACTION):
        words |= set(group)
    return words | _command_words(main)


def _command_words(command) -> set[str]:
    """Command names and option names, as typed: they stay English in any language."""
    words = {command.name or ""}
    for p in command.params:
        for opt in getattr(p, "opts", ()):
            words |= set(opt.lstrip("-").split("-")) | {opt.lstrip("-")}
    for sub in getattr(command, "commands", {}).values():
        words |= _command_words(sub)
    return words


@pytest.mark.parametrize("path", list(commands()), ids=lambda p: " ".join(p) or "gridtui")
def test_every_help_speaks_chinese_and_fits_80_columns(path):
    res = CliRunner().invoke(main, [*path, "--help"], terminal_width=80, prog_name="gridtui")
    assert res.exit_code == 0, res.output
    allowed = _allowed()
    english = {w for w in re.findall(r"[A-Za-z][A-Za-z_-]{3,}", res.output) if w not in allowed}
    assert not english, (path, sorted(english))
    assert max(cell_width(line) for line in res.output.splitlines()) <= 80, res.output


@pytest.mark.parametrize("path", [("households",), ("office", "report")], ids=["households", "office report"])
def test_every_help_speaks_english_with_lang_en(path):
    res = CliRunner().invoke(main, ["--lang", "en", *path, "--help"], prog_name="gridtui")
    assert res.exit_code == 0 and "Usage:" in res.output and "用法" not in res.output
    assert not re.search(r"[\u4e00-\u9fff]{3}", res.output.replace("一社区一年10件实事", "").replace("走访覆盖率", "")
                         .replace("办结率", "").replace("独居", "").replace("街道城管中队", "").replace("安全员", "")
                         .replace("飞线充电", ""))


def test_usage_errors_are_chinese_sentences(tmp_path):
    res = CliRunner().invoke(main, ["--home", str(tmp_path), "households", "--bogus"])
    assert res.exit_code == 2 and "没有选项 '--bogus'" in res.output and "No such option" not in res.output
    res = CliRunner().invoke(main, ["--home", str(tmp_path), "office", "init"])
    assert res.exit_code == 2 and "缺少选项" in res.output and "Missing option" not in res.output
    res = CliRunner().invoke(main, ["--home", str(tmp_path), "visit", "add", "--household", "H1", "--outcome", "x"])
    assert "没有“x”这个走访结果" in res.output and "1 见到（met）" in res.output


def test_global_options_after_the_subcommand(tmp_path):
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    office = tmp_path / "office"
    res = CliRunner().invoke(main, ["office", "init", "--roster", str(roster), "--home", str(office)])
    assert res.exit_code == 0, res.output
    assert (office / "office").is_dir()
    res = CliRunner().invoke(main, ["office", "findings", "--home", str(office), "--lang", "en"])
    assert res.exit_code == 0 and "ID" in res.output
    res = CliRunner().invoke(main, ["households", "--demo", "--home", str(tmp_path / "t"), "--worker", "W02"])
    assert res.exit_code == 0 and "H0" in res.output


def test_usage_line_and_its_full_stop_are_chinese(tmp_path):
    res = CliRunner().invoke(main, ["--home", str(tmp_path), "office", "resolve", "F1"], prog_name="gridtui")
    assert "用法： gridtui office resolve [选项] 发现编号" in res.output
    assert res.output.rstrip().endswith("缺少选项 '--note'。")


@pytest.mark.parametrize("lang, words", [("zh", "路径中有一段不是文件夹"), ("en", "a part of the path is not a folder")])
def test_an_os_error_is_one_sentence_in_the_users_language(tmp_path, lang, words):
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = subprocess.run([sys.executable, "-c", "from gridtui.cli import run; run()", "--lang", lang,
                          "--home", str(blocker / "home"), "households"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and words in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and "NotADirectoryError" not in res.stderr and len(res.stderr.splitlines()) == 1


def test_os_reasons_say_what_to_do_not_what_the_call_was():
    import errno

    i18n.set_lang("zh")
    try:
        assert "权限" in i18n.os_reason(PermissionError(errno.EACCES, "Permission denied", "/x"))
        assert "/x" in i18n.os_reason(PermissionError(errno.EACCES, "Permission denied", "/x"))
        assert "Permission" not in i18n.os_reason(PermissionError(errno.EACCES, "Permission denied"))
        assert "写保护" in i18n.os_reason(OSError(errno.EROFS, "Read-only file system"))
        assert "UTF-8" in i18n.os_reason(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"))
        assert i18n.os_error(OSError(errno.ENOSPC, "No space left")) == i18n.t("cli.disk_full")
    finally:
        i18n.set_lang("zh")


def test_a_piped_pin_is_read_without_getpass_warnings(tmp_path):
    import subprocess
    import sys

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    res = subprocess.run([sys.executable, "-c", "from gridtui.cli import run; run()", "--home", str(tmp_path / "o"),
                          "office", "init", "--roster", str(roster)], input="Xq7-plum-river-42\nXq7-plum-river-42\n",
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr and "getpass" not in res.stderr and "Xq7" not in res.stderr + res.stdout
    assert (tmp_path / "o" / "office").is_dir()


def test_the_vocabulary_page_is_current():
    from pathlib import Path

    from gridtui import vocab

    page = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"
    assert page.read_text(encoding="utf-8") == vocab.markdown(), "run: python -c 'from gridtui import vocab; ...'"


@pytest.mark.parametrize("typed, role", [("安全员", "safety"), ("7", "safety"), ("Safety", "safety"),
                                         ("data", "data"), (" 调解员 ", "mediation")])
def test_a_role_by_code_number_or_name(typed, role):
    from gridtui import vocab

    assert vocab.role(typed) == role


def test_unknown_words_list_the_known_ones_numbered_and_named():
    from gridtui import vocab

    with pytest.raises(model.ValidationError) as err:
        vocab.category("safety", "飞线")
    text = i18n.t(err.value.key, **err.value.args_)
    assert "飞线" in text and "1 飞线充电（ebike_charging）" in text and "6 其他（other）" in text
    assert vocab.category("safety", "飞线充电") == vocab.category("safety", "1") == "ebike_charging"
    assert vocab.tags("独居老人、低保 rental") == ["elderly_alone", "low_income", "rental"]


def test_visit_add_takes_chinese_role_category_and_outcome(tmp_path):
    from gridtui.demo import open_training

    home = tmp_path / "t"
    res = CliRunner().invoke(main, ["--home", str(home), "--demo", "visit", "add", "--household", "H0101",
                                    "--outcome", "见到", "--mode", "电话", "--finding", "安全员/飞线充电:楼道里飞线充电"])
    assert res.exit_code == 0, res.output
    with open_training(home, "W01", readonly=True) as store:
        mine = [f for f in store.state.entities["finding"].values() if f["asked"] == "楼道里飞线充电"]
        assert [(f["role"], f["category"]) for f in mine] == [("safety", "ebike_charging")]
        visit = store.state.entities["visit"][mine[0]["visit"]]
        assert (visit["outcome"], visit["mode"]) == ("met", "phone")
    res = CliRunner().invoke(main, ["--home", str(home), "--demo", "visit", "add", "--household", "H0101",
                                    "--outcome", "见到", "--finding", "安全员/飞线:x"])
    assert res.exit_code == 2 and "飞线充电（ebike_charging）" in res.output


def test_report_interval_and_roster_tags_by_name(tmp_path):
    from gridtui import report

    assert report.parse_intervals(["独居老人=3", "rental=60", "5=20"]) == {"elderly_alone": 3, "rental": 60,
                                                                          "low_income": 20}
