"""python -m gridtui: the same as the gridtui command."""

from .entry import run

run()
