"""What the main screens look like at 80×24, as SVG snapshots (pytest-textual-snapshot), on the
demo grid with a fixed clock. A change to a screen fails here until the new picture is looked at
and accepted: ``pytest tests/test_snapshots.py --snapshot-update``, then read the SVGs it wrote."""

from __future__ import annotations

import pytest

from gridtui import i18n
from test_tui import folder, make_app, prepared, store  # noqa: F401 - the fixtures

SCREENS = {
    "buildings": [],
    "building": ["enter"],
    "household": ["enter", "enter"],
    "visit_form": ["enter", "enter", "v", "7", "enter", *"楼道灭火器过期"],
    "followups": ["f"],
    "wishes": ["w"],
    "due_today": ["t"],
    "search": ["ctrl+f", "3", "0", "2"],
}


@pytest.fixture(autouse=True)
def _steady_picture(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)  # monochrome would render every snapshot grey
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, store, screen):
    assert snap_compare(make_app(store), press=["_", *SCREENS[screen], "_"], terminal_size=(80, 24))


def test_followups_in_english(snap_compare, store):
    i18n.set_lang("en")
    assert snap_compare(make_app(store), press=["_", "f", "_"], terminal_size=(80, 24))
