"""Whether the app has a terminal: the keys' stream and the one Textual draws on."""

from __future__ import annotations

import sys


def on_a_terminal() -> bool:
    """Whether keys come from a terminal and the app would draw on one.

    Textual reads stdin and draws on stderr (stdout on Windows). Redirected (``gridtui demo >
    log.txt``, a script, a scheduled task), it would wait forever for keys while it drew into a
    file. A terminal that went away (its window closed, an SSH link gone, with no hang-up signal
    reaching the app) is no longer one either: reading it gives nothing at once, and Textual
    would spin on it at full speed, holding the store.
    """
    out = sys.__stdout__ if sys.platform == "win32" else sys.__stderr__
    try:
        return all(f is not None and f.isatty() for f in (sys.__stdin__, out))
    except (OSError, ValueError):  # a stream closed under us
        return False
