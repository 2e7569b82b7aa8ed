"""When gridtui itself breaks: one sentence for the user and a report for the office — never a
traceback on the screen.

A Python traceback, and Textual's even more (it prints every local variable), would show residents'
names, phones and the sync key on the screen and in any terminal log. The report keeps only what a
developer needs and nothing a resident or a key could be in: the exception's type (not its message,
which may quote data), and for each frame the file, line and function. It is written readable by
its owner only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from pathlib import Path

from .atomic import ensure_private_dir, write_atomic


def report_text(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    lines = [
        "gridtui crash report (no resident data, no keys: exception type and code locations only)",
        f"when: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"gridtui: {_version()}  python: {platform.python_version()}  system: {platform.system()} {platform.release()}",
        f"error: {type(error).__module__}.{type(error).__qualname__}",
        "where (innermost last):",
    ]
    for f in frames:
        lines.append(f"  {_short(f.filename)}:{f.lineno} in {f.name}")
    cause = error.__cause__ or error.__context__
    if cause is not None and cause is not error:
        lines.append(f"caused by: {type(cause).__module__}.{type(cause).__qualname__}")
    return "\n".join(lines) + "\n"


def record(error: BaseException, home: Path | None) -> Path | None:
    """Write the report under ``home`` (or the temp folder); its path, or None if even that failed."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in ([Path(home) / "crash"] if home else []) + [Path(os.environ.get("TMPDIR") or "/tmp")]:
        try:
            ensure_private_dir(folder)
            path = folder / f"gridtui-crash-{stamp}-{os.getpid()}.txt"
            write_atomic(path, report_text(error).encode("utf-8"))
            return path
        except OSError:
            continue
    return None


def _short(filename: str) -> str:
    """A source path without the user's folders (which can hold a name): from the package on."""
    parts = Path(filename).parts
    for anchor in ("gridtui", "site-packages"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) - 1:])
    return Path(filename).name


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("gridtui")
    except Exception:  # noqa: BLE001 - a report must be written whatever is broken
        return "?"


def install_excepthook(home: Path | None, say) -> None:  # noqa: ANN001 - say(path) prints the sentence
    """Anything that escapes everything else (a bug) ends in the sentence and the report."""

    def hook(kind, error, tb) -> None:  # noqa: ANN001
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        say(record(error, home))

    sys.excepthook = hook
