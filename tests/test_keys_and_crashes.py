"""Keys, PINs, crashes: nothing personal leaks on the way (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
    assert "builtins.KeyError" in text and "cli.py" in text and NAME not in text and PHONE not in text
