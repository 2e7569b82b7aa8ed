"""Bytes gridtui writes to the terminal: a slow SSH link carries every one of them.

    python benchmarks/bench_terminal.py [--quick] [--json]

Runs ``gridtui demo`` in a pseudo-terminal of 80×24, types keys, and counts the bytes written after
each key until the screen is quiet. The floor of each screen change is one full repaint of the
screen it leads to, measured right after it: what the app sends for ctrl+l (redraw the screen),
one full frame. Goals (issue 15): a screen change ≤ one full repaint; idle 0 bytes.
POSIX only (a pseudo-terminal); the app itself runs anywhere.
"""

from __future__ import annotations

import os
import select
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchutil import Figures, arguments  # noqa: E402

QUIET_S = 0.6
RESIZE = "resize the terminal to 79 columns"  # no byte for this long: the screen has settled

# (what the key does, the keys): each is typed on the screen the one before left.
STEPS = [
    ("open a building (Enter)", "\r"),
    ("move down a row (↓)", "\x1b[B"),
    ("open a household (Enter)", "\r"),
    ("back to the building (Esc)", "\x1b"),
    ("back to the buildings (Esc)", "\x1b"),
    ("follow-ups (f)", "f"),
    ("back to the buildings again (Esc)", "\x1b"),
    ("open a building again (Enter)", "\r"),
    ("open a household again (Enter)", "\r"),
    ("open the visit form (v)", "v"),
    ("save the visit (ctrl+s)", "\x13"),
    ("search (ctrl+f)", "\x06"),
    ("type a room number, first key (3)", "3"),
]


def drain(fd: int, quiet: float = QUIET_S, limit: float = 20.0) -> int:
    """Bytes read from ``fd`` until nothing comes for ``quiet`` seconds."""
    got, last, start = 0, time.monotonic(), time.monotonic()
    while time.monotonic() - start < limit:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += len(chunk)
            last = time.monotonic()
        elif time.monotonic() - last > quiet and got:
            break
        elif time.monotonic() - last > quiet * 3:
            break
    return got


def repaint(master: int) -> int:
    """Bytes of one full repaint of the screen as it is: what ctrl+l (redraw) makes the app send."""
    os.write(master, b"\x0c")
    return drain(master)


def resize(master: int, pid: int, cols: int) -> int:
    """Bytes the app sends when the terminal is resized to ``cols`` columns."""
    import fcntl
    import signal
    import termios

    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    return drain(master)


def session(home: Path) -> dict[str, int]:
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none",
           "GRIDTUI_HOME": str(home)}
    # The size is the pseudo-terminal's: COLUMNS and LINES would win over it (shutil reads them
    # first), and the resize that measures a full repaint would not be one.
    for name in ("NO_COLOR", "COLUMNS", "LINES"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "gridtui", "--home", str(home), "demo"], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    out = {}
    try:
        out["first frame"] = drain(master, quiet=1.5, limit=30)
        for name, keys in STEPS:
            os.write(master, keys.encode())
            out[name] = drain(master)
            out[name + " (repaint)"] = repaint(master)
        out[RESIZE] = resize(master, proc.pid, 79)
        out[RESIZE + " (repaint)"] = repaint(master)
        resize(master, proc.pid, 80)
        time.sleep(0.2)
        out["idle, 3 s"] = drain(master, quiet=3.0, limit=3.0)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return out


def main() -> None:
    args = arguments(__doc__).parse_args()
    if os.name != "posix":
        raise SystemExit("bench_terminal needs a POSIX pseudo-terminal")
    runs = 1 if args.quick else 3
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            results.append(session(Path(tmp) / f"home{i}"))
    med = lambda key: sorted(r[key] for r in results)[len(results) // 2]  # noqa: E731
    out = Figures()
    out.add("first frame", med("first frame") / 1024, "KB")
    for name, _ in STEPS:
        out.add(name, med(name) / 1024, "KB", med(name + " (repaint)") / 1024, "≤ 1× floor")
    out.add(RESIZE, med(RESIZE) / 1024, "KB", med(RESIZE + " (repaint)") / 1024, "≤ 1× floor")
    out.add("idle, 3 s", med("idle, 3 s"), "bytes", None, "0 bytes")
    out.show(args.json)


if __name__ == "__main__":
    main()
