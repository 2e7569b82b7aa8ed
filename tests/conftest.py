import copy
import os
import shutil
from pathlib import Path

import pytest

import gridtui
from gridtui import lock, vault

# The tests test this checkout (pyproject puts it first on sys.path), and so do the processes they
# start: an installed copy of an older gridtui must not answer for it.
CHECKOUT = Path(__file__).resolve().parent.parent
assert Path(gridtui.__file__).resolve().parent == CHECKOUT / "gridtui", f"testing {gridtui.__file__}, not the checkout"
os.environ["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT), *filter(None, [os.environ.get("PYTHONPATH")])])

# A quick scrypt cost: the real one is calibrated to a quarter second, too slow for hundreds of stores.
vault.FIXED_LOG_N = 10
# A second copy is told after this long instead of five seconds (tests of waiting set their own).
lock.WAIT_SECONDS = 0.3
TEST_PIN = "test-pin-2468"


def unlock(folder):
    """The unlock callback for stores made in tests (all under TEST_PIN)."""
    return vault.unlock(folder, TEST_PIN)

# Tests speak Chinese unless they switch; reset between tests since the language is process-wide.
@pytest.fixture(autouse=True)
def _zh_default():
    from gridtui import i18n

    i18n.set_lang("zh")
    yield
    i18n.set_lang("zh")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test ever touches the real user data folder."""
    monkeypatch.setenv("GRIDTUI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GRIDTUI_LANG", raising=False)
    # Commands run in tests find the PIN here instead of asking; tests of asking remove it.
    monkeypatch.setenv("GRIDTUI_PIN", TEST_PIN)
    monkeypatch.delenv("GRIDTUI_PIN_FILE", raising=False)
    yield


def small_roster():
    """A hand-made two-building roster with one history, for tests that need exact answers."""
    return {
        "format": "gridtui-roster/1",
        "as_of": "2026-11-20",
        "community": {"id": "C01", "name": "幸福里社区"},
        "compounds": [{"id": "X01", "name": "幸福里小区", "address": "新华路88号"}],
        "grids": [{"id": "G01", "name": "第一网格", "worker": "W01"}, {"id": "G02", "name": "第二网格", "worker": "W02"}],
        "workers": [{"id": "W01", "name": "李秀英", "grid": "G01"}, {"id": "W02", "name": "王建国", "grid": "G02"}],
        "buildings": [
            {"id": "B01", "compound": "X01", "name": "1栋", "grid": "G01", "units": 1, "floors": 6},
            {"id": "B02", "compound": "X01", "name": "2栋", "grid": "G02", "units": 1, "floors": 6},
        ],
        "households": [
            {"id": "H01", "building": "B01", "unit": 1, "floor": 3, "room": "301", "head": "张建华",
             "phone": "13812345678", "people": 1, "tags": ["elderly_alone"]},
            {"id": "H02", "building": "B01", "unit": 1, "floor": 3, "room": "302", "head": "刘芳",
             "phone": "13900001111", "people": 3, "tags": []},
            {"id": "H03", "building": "B02", "unit": 1, "floor": 1, "room": "101", "head": "陈国强",
             "phone": "13700002222", "people": 2, "tags": []},
        ],
        "visits": [
            {"id": "V1", "household": "H01", "worker": "W01", "at": "2026-11-02T10:00:00+08:00", "mode": "door",
             "outcome": "met", "note": "身体尚好",
             "findings": [{"id": "F1", "role": "safety", "category": "gas", "asked": "燃气管老化",
                           "action": "已关闭总阀", "triage": "coordinate", "due": "2026-11-10", "history": []}]},
        ],
        "wishes": [],
    }


@pytest.fixture
def worker_home(tmp_path):
    """A real (non-training) store for worker W01 in a fresh home; returns the home folder."""
    from gridtui.home import real_store
    from gridtui.roster import roster_events
    from gridtui.store import Store

    home = tmp_path / "home"
    Store.create(real_store(home), {"worker": "W01", "grid": "G01"},
                 roster_events(small_roster(), grid="G01"), pin=TEST_PIN).close()
    return home


# Textual's test pilot waits for "idle" in 20 ms sleeps, at least two per key press: hundreds of
# presses make that most of the suite's time. 5 ms sleeps find the same idle (the CPU-time test is
# scaled with them) in a quarter of the wait.
import textual._wait as _textual_wait  # noqa: E402

_textual_wait.SLEEP_GRANULARITY = 1 / 200
_textual_wait.SLEEP_IDLE = _textual_wait.SLEEP_GRANULARITY / 20


LOCK_FILES = shutil.ignore_patterns("lock", "lock.owner")


def built_once(name: str, build):
    """Two fixtures: ``{name}_template`` runs ``build(root)`` once per module, and ``name`` gives each
    test a fresh copy of what it made, files and object both.

    Homes remember absolute paths (the shared folder in a worker's settings), so each copy is put back
    at the very path it was built at; tests in one process run one at a time, so that is safe.
    """

    @pytest.fixture(scope="module", name=f"{name}_template")
    def template(tmp_path_factory):
        root = tmp_path_factory.mktemp(name) / "live"
        with pytest.MonkeyPatch.context() as mp:  # the function-scoped autouse fixtures come later
            mp.setenv("GRIDTUI_HOME", str(root / "nobody"))
            mp.setenv("GRIDTUI_PIN", TEST_PIN)
            mp.delenv("GRIDTUI_LANG", raising=False)
            mp.delenv("GRIDTUI_PIN_FILE", raising=False)
            made = build(root)
        saved = root.with_name("template")
        shutil.copytree(root, saved, ignore=LOCK_FILES)
        return made, root, saved

    @pytest.fixture(name=name)
    def fresh(request):
        made, root, saved = request.getfixturevalue(f"{name}_template")
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(saved, root)
        return copy.deepcopy(made)

    return template, fresh
