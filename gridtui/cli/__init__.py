"""The command line: `gridtui` and the worker's commands (main), `gridtui office …` (office),
click in the user's language (language), what they share (context), asking for a PIN (pin)."""

from .main import main, run

__all__ = ["main", "run"]
