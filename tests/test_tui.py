"""The terminal app, driven by keys at 80x24, read back from its widgets.

The training store is built once per module and copied for each test (building it folds the whole
demo roster); every test gets its own copy, so tests never see each other's writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import time

import pytest

from gridtui import i18n, model
from gridtui.demo import load_demo_data, open_training
from gridtui.store import Store
from gridtui.tui.widgets import KeyBar

TZ = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date.fromisoformat(load_demo_data()["as_of"])  # the demo as it was written: no date shift
NOW = dt.datetime.combine(TODAY, dt.time(23, 0), tzinfo=TZ)  # after the demo's last event
NOW_MS = int(NOW.timestamp() * 1000)
# hold_events=False: as gridtui opens the app's store (the events read from the log when asked for).
STORE_KW = {"now": lambda: NOW, "clock_ms": lambda: NOW_MS, "hold_events": False}
SIZE = (80, 24)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    home = tmp_path_factory.mktemp("tui-home")
    store = open_training(home, "W01", today=TODAY, **STORE_KW)
    folder = store.folder
    store.close()
    return folder


@pytest.fixture
def folder(prepared, tmp_path):
    target = tmp_path / "store"
    shutil.copytree(prepared, target, ignore=shutil.ignore_patterns("lock", "lock.owner"))
    return target


@pytest.fixture
def store(folder):
    s = Store.open(folder, **STORE_KW)
    yield s
    s.close()


def make_app(store):
    from gridtui.tui.app import GridApp

    return GridApp(store, cycle="month")


@contextlib.asynccontextmanager
async def started(store, notifications: bool = False):
    """The app on ``store`` at 80x24, once its first screen is up: (app, pilot, keys). Toasts are
    drawn only with ``notifications`` (Textual's run_test leaves them out)."""
    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=notifications) as pilot:
        await on_screen(pilot, "BuildingsScreen")
        yield app, pilot, Keys(pilot)


# --- helpers: reading widgets, waiting for screens, counting key presses ---------------------------


def text_of(widget) -> str:
    content = widget.content if hasattr(widget, "content") else widget.render()
    return getattr(content, "plain", None) or str(content)


def screen_text(app) -> str:
    """Everything the current screen shows in its Static widgets (title, facts, history …)."""
    from textual.widgets import Static

    return "\n".join(text_of(w) for w in app.screen.query(Static))


def rows(app, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def shows(cell: str, text: str) -> bool:
    """A table cell shows ``text``: whole, or cut short with "…" to fit the width."""
    return cell == text or (cell.endswith("…") and text.startswith(cell[:-1]))


def index_showing(table: list[list[str]], col: int, text: str) -> int:
    return next(i for i, r in enumerate(table) if shows(r[col], text))


def cursor_row(app, table_id: str) -> int:
    return app.screen.query_one(f"#{table_id}").cursor_row


async def until(pilot, condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.005)


async def on_screen(pilot, name: str, timeout: float = 5.0) -> None:
    """Wait until the screen of this class is up: current, and mounted (its widgets composed)."""
    await until(pilot, lambda: type(pilot.app.screen).__name__ == name and pilot.app.screen.is_mounted, timeout)


class Keys:
    """Presses keys and counts them; typed text is sent character by character but not counted."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.count = 0

    async def __call__(self, *keys: str) -> None:
        self.count += len(keys)
        for key in keys:
            await self.pilot.press(key)
            await self.pilot.pause()

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)


async def open_household(pilot, keys: Keys, building_row: int = 0, household_row: int = 0) -> str:
    """From the buildings screen: open a building, then a household; returns the household id."""
    await keys(*["down"] * building_row, "enter")
    await on_screen(pilot, "BuildingScreen")
    await keys(*["down"] * household_row, "enter")
    await on_screen(pilot, "HouseholdScreen")
    return pilot.app.screen.hid


def household_with(store, predicate) -> tuple[int, int, dict]:
    """(building row, household row, household row dict) of the first household matching predicate."""
    from gridtui import views

    buildings = views.buildings_overview(store.state, store.today(), "month", store.meta["grid"])
    for bi, b in enumerate(buildings):
        for hi, h in enumerate(views.building_households(store.state, b["id"], store.today(), "month")):
            if predicate(h):
                return bi, hi, h
    raise LookupError("no such household in the demo grid")


async def to_visit_form(pilot, keys, store) -> None:
    """From the home screen, through a building and a lived-in household, to a new visit form."""
    bi, hi, _ = household_with(store, lambda h: not h["moved_out"])
    await on_screen(pilot, "BuildingsScreen")
    await open_household(pilot, keys, bi, hi)
    await keys("v")
    await on_screen(pilot, "VisitScreen")


# --- tests ---------------------------------------------------------------------------------------


async def test_training_banner_header_and_quiet_terminal(store):
    async with started(store) as (app, pilot, keys):
        bar = text_of(app.screen.query_one("#topbar"))
        assert "培训模式" in bar and "演示数据" in bar
        assert "李秀英" in bar and "第一网格" in bar
        assert "未同步" not in bar  # training never syncs: no count to worry about
        assert app.animation_level == "none"
        # the buildings of my grid, and only those
        table = rows(app, "buildings")
        assert len(table) == 6 and all(r[0].startswith("幸福里小区") for r in table)


async def test_buildings_filter_and_sort_by_typing(store):
    async with started(store) as (app, pilot, keys):
        keys = Keys(pilot)
        await keys("slash")
        await keys.type("3栋")
        assert [r[0] for r in rows(app, "buildings")] == ["幸福里小区3栋"]
        assert "筛选：3栋" in screen_text(app)
        await keys("enter")  # keep the filter, back to the table: Enter opens the one building
        await keys("enter")
        await on_screen(pilot, "BuildingScreen")
        assert "幸福里小区3栋" in screen_text(app)
        await keys("escape")
        await on_screen(pilot, "BuildingsScreen")
        await keys("escape")  # clears the filter
        assert len(rows(app, "buildings")) == 6
        # o cycles the sort column (ordering); numbers sort largest first
        for col in (1, 2, 3, 4):
            await keys("o")
            values = [int(r[col]) for r in rows(app, "buildings")]
            assert values == sorted(values, reverse=True)
        assert "逾期" in screen_text(app)
        await keys("o")
        assert [r[0] for r in rows(app, "buildings")][:3] == ["幸福里小区1栋", "幸福里小区2栋", "幸福里小区3栋"]


async def test_building_screen_toggles_only_not_visited(store):
    async with started(store) as (app, pilot, keys):
        await keys("enter")
        await on_screen(pilot, "BuildingScreen")
        everyone = rows(app, "households")
        assert any(r[4] == "未走访" for r in everyone) and any(r[4] != "未走访" for r in everyone)
        # names are masked in the list
        assert all("*" in r[3] for r in everyone if r[3])
        await keys("u")
        not_visited = rows(app, "households")
        assert 0 < len(not_visited) < len(everyone)
        this_month = TODAY.replace(day=1).isoformat()
        # not met this cycle: never visited, last seen before it, or the door not answered
        assert all(r[4] == "未走访" or r[4] < this_month or r[5] != "见到" for r in not_visited)
        assert "仅本期未访" in screen_text(app)
        await keys("u")
        assert len(rows(app, "households")) == len(everyone)


async def test_household_masks_personal_data_until_revealed(store):
    bi, hi, h = household_with(store, lambda h: h["head"] and len(h["head"]) == 3)
    full = store.state.entities["household"][h["id"]]
    async with started(store) as (app, pilot, keys):
        await open_household(pilot, keys, bi, hi)
        facts = text_of(app.screen.query_one("#facts"))
        assert model.mask_name(full["head"]) in facts and full["head"] not in facts
        assert model.mask_phone(full["phone"]) in facts and full["phone"] not in facts
        assert full["id_number"] not in facts and model.mask_id_number(full["id_number"]) in facts
        await keys("r")
        facts = text_of(app.screen.query_one("#facts"))
        assert full["head"] in facts and full["phone"] in facts and full["id_number"] in facts
        await keys("r")
        assert full["phone"] not in text_of(app.screen.query_one("#facts"))


async def fill_two_findings(keys: Keys) -> None:
    """On the visit form: a safety finding (gas, urgent, due date) and a service finding."""
    await keys("7")  # safety; focus on its category
    await keys("right", "right", "enter")  # gas hazard → what was asked
    await keys.type("厨房燃气管老化")
    await keys("enter")  # → what was done
    await keys.type("已关闭总阀")
    await keys("enter", "right", "right", "enter")  # triage urgent → follow-up date
    await keys.type("2026-11-27")
    await keys("tab")  # leave the text field: number keys add findings again
    await keys("4")  # service
    await keys("right", "enter")  # elderly care
    await keys.type("需要助餐服务")


async def test_record_two_findings_resolve_one_and_find_it_all_after_reopening(folder):
    store = Store.open(folder, **STORE_KW)
    bi, hi, h = household_with(store, lambda h: not h["moved_out"] and h["open"] == 0)
    async with started(store) as (app, pilot, keys):
        hid = await open_household(pilot, keys, bi, hi)
        assert hid == h["id"]
        visits_before = len(app.screen.detail["visits"])
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        await keys("down", "down")  # past mode and outcome (door, met) to the note
        await keys.type("两项发现")
        await keys("down")
        await fill_two_findings(keys)
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        # the new visit is on top of the history, with both findings
        assert len(app.screen.detail["visits"]) == visits_before + 1
        history = text_of(app.screen.query_one("#history"))
        first = history.split("\n", 2)[1]
        assert first.startswith(NOW.strftime("%Y-%m-%d %H:%M")) and "上门 · 见到" in first
        for words in ("两项发现", "安全员 · 燃气隐患", "厨房燃气管老化", "已关闭总阀", "紧急上报", "2026-11-27",
                      "服务员 · 助老服务", "需要助餐服务"):
            assert words in history
        assert "未同步" not in text_of(app.screen.query_one("#topbar"))  # training: nothing is ever synced
        # both are in the follow-ups list; resolve the safety one with the resident's satisfaction
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        mine = [r for r in rows(app, "followups") if any(shows(r[5], a) for a in ("厨房燃气管老化", "需要助餐服务"))]
        assert len(mine) == 2
        await keys("7")  # only safety findings
        table = rows(app, "followups")
        assert {r[1] for r in table} == {"安全员"}
        index = index_showing(table, 5, "厨房燃气管老化")
        app.screen.query_one("#followups").move_cursor(row=index)
        await keys("d")
        await on_screen(pilot, "FormModal")
        await keys("right")  # 满意
        await keys("enter")
        await keys.type("已更换燃气管")
        await keys("enter")  # Enter on the last field saves
        await on_screen(pilot, "FollowupsScreen")
        assert not any(shows(r[5], "厨房燃气管老化") for r in rows(app, "followups"))
        await keys("0")
        assert any(shows(r[5], "需要助餐服务") for r in rows(app, "followups"))
        await keys("ctrl+q")
    store.close()

    # a new run on the same folder finds everything
    store = Store.open(folder, **STORE_KW)
    try:
        async with started(store) as (app, pilot, keys):
            await open_household(pilot, keys, bi, hi)
            history = text_of(app.screen.query_one("#history"))
            assert "两项发现" in history and "厨房燃气管老化" in history and "需要助餐服务" in history
            assert "已办结 · 已更换燃气管 · 回访：满意" in history  # status history of the resolved one
            await keys("f")
            await on_screen(pilot, "FollowupsScreen")
            asked = [r[5] for r in rows(app, "followups")]
            assert any(shows(a, "需要助餐服务") for a in asked) and not any(shows(a, "厨房燃气管老化") for a in asked)
    finally:
        store.close()


async def test_a_common_visit_takes_the_five_keys_the_readme_promises(store):
    bi, hi, h = household_with(store, lambda h: not h["moved_out"])
    async with started(store) as (app, pilot, keys):
        hid = await open_household(pilot, Keys(pilot), bi, hi)
        keys = Keys(pilot)  # count from the household screen
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        await keys("7")  # a safety finding; door + met are the defaults
        await keys("right")  # expired extinguisher
        await keys("enter")
        await keys.type("灭火器过期")
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        assert keys.count == 5, keys.count  # README: v 7 → Enter (text) ctrl+s
        visit = app.screen.detail["visits"][0]
        assert (visit["mode"], visit["outcome"]) == ("door", "met")
        [f] = visit["findings"]
        assert (f["role"], f["category"], f["asked"]) == ("safety", "extinguisher", "灭火器过期")
        assert app.screen.hid == hid


async def test_escape_on_a_filled_form_asks_before_discarding(store):
    bi, hi, _ = household_with(store, lambda h: not h["moved_out"])
    async with started(store) as (app, pilot, keys):
        await open_household(pilot, keys, bi, hi)
        visits = len(app.screen.detail["visits"])
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        await keys("escape")  # nothing typed: just goes back
        await on_screen(pilot, "HouseholdScreen")
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        await keys("2")
        await keys("enter")
        await keys.type("孩子上学难")
        await keys("escape")
        await on_screen(pilot, "ConfirmModal")
        assert "放弃" in screen_text(app)
        await keys("n")  # keep editing: nothing lost
        await on_screen(pilot, "VisitScreen")
        assert app.screen.value()["findings"][0]["asked"] == "孩子上学难"
        await keys("escape")
        await on_screen(pilot, "ConfirmModal")
        await keys("y")
        await on_screen(pilot, "HouseholdScreen")
        assert len(app.screen.detail["visits"]) == visits


async def test_invalid_form_shows_one_line_and_keeps_the_input(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("1")  # a data finding proposes new facts
        await keys("enter")
        await keys.type("新添一口人")
        for _ in range(4):
            await keys("tab")  # → action → triage → date → people
        await keys.type("4")
        await keys("tab")
        await keys.type("12")  # not a phone number
        await keys("ctrl+s")
        assert text_of(app.screen.query_one("#error")) == i18n.t("err.bad_phone")
        assert type(app.screen).__name__ == "VisitScreen"
        assert app.screen.value()["findings"][0]["proposed"] == {"people": "4", "phone": "12"}
        await keys.type("3456789012")
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        history = text_of(app.screen.query_one("#history"))
        assert f"提议修改 人数 4 · 电话 {model.mask_phone('123456789012')}" in history
        assert "123456789012" not in history


async def test_followups_role_filter_and_due_households(store):
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        everything = rows(app, "followups")
        assert len(everything) > 5
        roles = {r[1] for r in everything}
        assert len(roles) > 2
        # overdue first
        overdue = ["逾期" in r[3] for r in everything]
        assert overdue == sorted(overdue, reverse=True) and overdue[0]
        await keys("7")
        safety = rows(app, "followups")
        assert safety and {r[1] for r in safety} == {"安全员"} and len(safety) < len(everything)
        assert "角色：安全员" in screen_text(app)
        await keys("0")
        assert len(rows(app, "followups")) == len(everything)
        # refer one: asks for the unit
        await keys("r")
        await on_screen(pilot, "FormModal")
        await keys("ctrl+s")
        assert text_of(app.screen.query_one("#error")) == i18n.t("err.refer_needs_unit")
        await keys.type("物业公司")
        await keys("ctrl+s")
        await on_screen(pilot, "FollowupsScreen")
        assert rows(app, "followups")[0][4] == "已转办"
        # households due a visit because their tag's interval lapsed
        await keys("h")
        due = rows(app, "followups")
        assert due and "应访住户" in screen_text(app)
        assert all(r[5] for r in due)  # every one has an interval tag
        await keys("h")
        assert len(rows(app, "followups")) == len(everything)


async def test_wish_claim_then_fulfil(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        # a micro-wish is a service finding of that category
        await keys("4", "enter")
        await keys.type("想要一台老式半导体收音机")
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        await keys("w")
        await on_screen(pilot, "WishesScreen")
        app.screen.query_one("#wishes").move_cursor(row=index_showing(rows(app, "wishes"), 2, "想要一台老式半导体收音机"))
        assert rows(app, "wishes")[cursor_row(app, "wishes")][3] == "待认领"
        await keys("d")  # not claimed yet: refused
        assert rows(app, "wishes")[cursor_row(app, "wishes")][3] == "待认领"
        await keys("c")
        await on_screen(pilot, "FormModal")
        await keys.type("社区志愿者 王芳")
        await keys("ctrl+s")
        await on_screen(pilot, "WishesScreen")
        row = next(r for r in rows(app, "wishes") if shows(r[2], "想要一台老式半导体收音机"))
        assert row[3] == "已认领" and shows(row[4], "社区志愿者 王芳")
        # the claim moved the wish down the list: the cursor went with it, so d acts on the same wish
        assert shows(rows(app, "wishes")[cursor_row(app, "wishes")][2], "想要一台老式半导体收音机")
        await keys("d")
        await on_screen(pilot, "FormModal")
        await keys("ctrl+s")
        await on_screen(pilot, "WishesScreen")
        row = next(r for r in rows(app, "wishes") if shows(r[2], "想要一台老式半导体收音机"))
        assert row[3] == "已实现 😊"


async def test_english_ui(store):
    i18n.set_lang("en")
    async with started(store) as (app, pilot, keys):
        assert "TRAINING" in text_of(app.screen.query_one("#topbar"))
        table = app.screen.query_one("#buildings")
        assert [str(c.label) for c in table.columns.values()][:3] == ["Building", "Households", "Visited"]
        footer = app.screen.query_one(KeyBar).render().plain
        assert "Filter" in footer and "Follow-ups" in footer
        await keys("enter")
        await on_screen(pilot, "BuildingScreen")
        assert "Visited this cycle" in screen_text(app)
        await keys("enter")
        await on_screen(pilot, "HouseholdScreen")
        assert "Personal data masked" in screen_text(app)
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        assert "Add a finding: 1 Data  2 Info" in screen_text(app)
        await keys("7")
        assert "E-bike flying wire" in app.screen.query_one(".category").render().plain.replace("\xa0", " ")


async def test_help_lists_the_keys_of_the_screen_and_the_app(store):
    async with started(store) as (app, pilot, keys):
        await keys("enter")
        await on_screen(pilot, "BuildingScreen")
        await keys("question_mark")
        await on_screen(pilot, "HelpScreen")
        text = screen_text(app)
        for words in ("本页按键", "只看未访", "返回", "全局按键", "跟进", "心愿", "退出"):
            assert words in text
        await keys("escape")
        await on_screen(pilot, "BuildingScreen")


async def test_command_palette_opens_screens(store):
    async with started(store) as (app, pilot, keys):
        await keys("ctrl+p")
        await on_screen(pilot, "CommandPalette")
        await keys.type("微心愿")
        await pilot.pause(0.3)
        await keys("enter")
        await on_screen(pilot, "WishesScreen")


async def test_form_keeps_global_keys_from_losing_input_and_quit_asks(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("6", "enter")
        await keys.type("物业不作为")
        await keys("up")  # back on the category: letters are keys again
        await keys("f", "w")  # other screens wait until the form is saved or cancelled
        assert type(app.screen).__name__ == "VisitScreen"
        await keys("question_mark")  # help still opens
        await on_screen(pilot, "HelpScreen")
        assert "添加发现" in screen_text(app) and "保存" in screen_text(app)
        await keys("escape")
        await on_screen(pilot, "VisitScreen")
        await keys("ctrl+q")
        await on_screen(pilot, "ConfirmModal")
        assert "放弃并退出" in screen_text(app)
        await keys("n")
        await on_screen(pilot, "VisitScreen")
        assert app.screen.value()["findings"][0]["asked"] == "物业不作为"
        assert app.is_running


async def test_residents_words_are_shown_as_typed_never_as_markup(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("3", "enter")
        await keys.type("[b]养老[/b] [链接]")
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        assert "[b]养老[/b] [链接]" in text_of(app.screen.query_one("#history"))
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        app.screen.query_one("#followups").move_cursor(row=index_showing(rows(app, "followups"), 5, "[b]养老[/b] [链接]"))
        await keys("c")
        await on_screen(pilot, "FormModal")
        assert "[b]养老[/b] [链接]" in screen_text(app)


# --- sync from the app ------------------------------------------------------------------------------


def _notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_s_refuses_to_sync_training_data(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: any("培训模式的数据不会同步" in m for m in _notes(app)))


async def test_s_syncs_a_joined_laptop_and_the_header_counts_what_the_office_lacks(tmp_path):
    import json

    from conftest import TEST_PIN, small_roster, unlock
    from gridtui.home import real_store
    from gridtui.office.commands import enroll, init, merge_folder, publish
    from gridtui.sync.worker import setup
    from gridtui.tui.widgets import TopBar

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(small_roster(), ensure_ascii=False), encoding="utf-8")
    office, worker, shared = tmp_path / "office", tmp_path / "worker", tmp_path / "shared"
    shared.mkdir()
    init(office, roster, new_pin=lambda: TEST_PIN)
    key = enroll(office, "W01", "李秀英", "G01", unlock=unlock)
    publish(office, shared, unlock=unlock)
    setup(worker, shared, "W01", key, new_pin=lambda: TEST_PIN, unlock=unlock)

    with Store.open(real_store(worker), unlock=unlock, hold_events=False) as s:
        s.record_visit({"household": "H02", "outcome": "met"})
        app = make_app(s)
        app.home = worker
        async with app.run_test(size=SIZE) as pilot:
            bar = app.screen.query_one(TopBar)
            assert "未同步 1 次走访 · 从未同步" in text_of(bar)  # visits, not events
            await pilot.press("s")
            await until(pilot, lambda: any("已同步" in m for m in _notes(app)))
            assert "上次同步" in text_of(bar)
            assert (shared / "to-office" / "W01" / f"{s.device}.json").is_file()
            # The office has not merged yet, so the change still counts as not received.
            assert "未同步 1" in text_of(bar)
            merge_folder(office, shared, unlock=unlock)
            publish(office, shared, unlock=unlock)
            await pilot.press("s")
            await until(pilot, lambda: "未同步 0" in text_of(app.screen.query_one(TopBar)))


async def test_g_shows_my_grid_at_a_glance_and_counts_a_new_visit(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await on_screen(pilot, "SummaryScreen")
        before = text_of(app.screen.query_one("#figures"))
        assert "走访覆盖" in before and "办结率" in before
        role_rows = rows(app, "roles")
        assert [r[0] for r in role_rows] == [i18n.name("role", r) for r in model.ROLES]
    unvisited = next(h for h in store.state.entities["household"].values() if not h.get("moved_out")
                     and not any(v["household"] == h["id"] for v in store.state.entities["visit"].values()))
    store.record_visit({"household": unvisited["id"], "outcome": "met",
                        "findings": [{"role": "mediation", "asked": "邻里噪音纠纷"}]})
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await on_screen(pilot, "SummaryScreen")
        after = rows(app, "roles")
        row = model.ROLES.index("mediation")
        assert int(after[row][1]) == int(role_rows[row][1]) + 1
        assert text_of(app.screen.query_one("#figures")) != before


async def test_a_full_disk_on_save_keeps_the_form_and_says_so(store, monkeypatch):
    import errno

    from gridtui import atomic

    count = store.event_count
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("7", "enter")
        await keys.type("灭火器过期")

        def full(*_a):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(atomic.os, "fsync", full)
        await keys("ctrl+s")
        assert app.screen.__class__.__name__ == "VisitScreen"
        assert "磁盘已满" in text_of(app.screen.query_one("#error"))
        assert store.event_count == count
        assert app.screen.value()["findings"][0]["asked"] == "灭火器过期"  # nothing typed is lost
        monkeypatch.undo()
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        assert store.event_count > count


async def test_a_store_that_lost_a_segment_says_so_when_the_app_opens(folder, monkeypatch):
    from gridtui import store as store_mod

    monkeypatch.setattr(store_mod, "SEGMENT_SIZE", 5)
    with Store.open(folder, **STORE_KW) as s:
        s.record_visit({"household": "H0001", "outcome": "met", "findings": []})  # into a segment of its own
    newest = sorted(folder.glob("events-*.log"))[-1]
    newest.unlink()
    with Store.open(folder, **STORE_KW) as s:
        async with started(s) as (app, pilot, keys):
            shown = [n.message for n in app._notifications]
            assert any("本机数据少了 1 条记录" in m and newest.name in m for m in shown), shown


async def test_a_palette_search_that_finds_nothing_says_so_in_chinese(store):
    async with started(store) as (app, pilot, keys):
        await pilot.press("ctrl+p")
        await pilot.press(*"qqqqzz")

        def shown() -> str:
            from textual.command import CommandList

            found = app.screen.query(CommandList)
            return " ".join(str(getattr(o.prompt, "plain", o.prompt)) for o in found.first().options) if found else ""

        await until(pilot, lambda: "没有匹配的命令" in shown())
        assert "No matches" not in shown()
        await pilot.press("enter")  # the line does nothing but close the palette
        await on_screen(pilot, "BuildingsScreen")


async def test_the_real_app_settles_what_it_loaded_and_a_test_harness_does_not(store, monkeypatch):
    import gc

    from gridtui.tui.app import GridApp

    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    for settle, expected in ((True, [True, True]), (False, [])):  # once loaded, once ready
        frozen.clear()
        app = GridApp(store, cycle="month", settle_memory=settle)
        assert frozen == expected[:1]  # before Textual starts: its start-up need not scan the store
        async with app.run_test(size=SIZE) as pilot:
            await on_screen(pilot, "BuildingsScreen")
            await pilot.pause()
        assert frozen == expected
    from gridtui import entry

    opened = []
    monkeypatch.setattr(GridApp, "run", lambda self: opened.append(self.settle_memory))
    monkeypatch.setattr(entry, "on_a_terminal", lambda: True)  # (pytest's streams are not one)
    entry.open_app(store, cycle="month", home=store.folder.parent, lock_minutes=0)  # how `gridtui` opens it
    assert opened == [True]
