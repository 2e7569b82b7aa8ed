"""A worker in a stairwell, one door after another (issue 11): the app keeps its place, acts on
the record under the cursor, and never drops someone who must be visited. Pilot at 80×24 on the
demo grid with a fixed clock (see test_tui)."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from gridtui import views
from gridtui.i18n import t
from gridtui.tui.widgets import GridTable, fill_table
from test_tui import (NOW, SIZE, STORE_KW, TODAY, Keys, cursor_row, folder, make_app, on_screen,  # noqa: F401
                      prepared, rows, screen_text, shows, started, store, text_of, to_visit_form, until)


def _building_with_unvisited(store, n: int = 3):
    """(building row, building id, its not-met households in walk order) with at least ``n`` of them."""
    buildings = views.buildings_overview(store.state, store.today(), "month", store.meta["grid"])
    for bi, b in enumerate(buildings):
        todo = [h for h in views.building_households(store.state, b["id"], store.today(), "month")
                if not h["visited"] and not h["moved_out"]]
        if len(todo) >= n:
            return bi, b["id"], todo
    raise LookupError


async def _quick_visit(keys, pilot, outcome_steps: int = 0) -> None:
    """From a household: v, the outcome moved right ``outcome_steps`` times, save."""
    await keys("v")
    await on_screen(pilot, "VisitScreen")
    if outcome_steps:
        await keys("down", *["right"] * outcome_steps)
    await keys("ctrl+s")
    await on_screen(pilot, "HouseholdScreen")


async def test_after_a_visit_in_the_not_visited_list_the_cursor_is_on_the_next_door(store):
    bi, _, todo = _building_with_unvisited(store)
    async with started(store) as (app, pilot, keys):
        await keys(*["down"] * bi, "enter")
        await on_screen(pilot, "BuildingScreen")
        await keys("u", "down")  # the second door of the list
        assert app.screen.current()["id"] == todo[1]["id"]
        await keys("enter")
        await on_screen(pilot, "HouseholdScreen")
        await _quick_visit(keys, pilot)
        await keys("escape")
        await on_screen(pilot, "BuildingScreen")
        # the visited door left the list; the cursor is on the door after it, not back on row 1
        assert todo[1]["id"] not in [r["id"] for r in app.screen.shown]
        assert app.screen.current()["id"] == todo[2]["id"]


async def test_a_door_not_answered_stays_in_the_list_with_the_cursor_on_it(store):
    bi, _, todo = _building_with_unvisited(store)
    async with started(store) as (app, pilot, keys):
        await keys(*["down"] * bi, "enter")
        await on_screen(pilot, "BuildingScreen")
        await keys("u", "down", "enter")
        await on_screen(pilot, "HouseholdScreen")
        await _quick_visit(keys, pilot, outcome_steps=1)  # 无人应门
        await keys("escape")
        await on_screen(pilot, "BuildingScreen")
        assert app.screen.current()["id"] == todo[1]["id"]  # still to be met: still here


def test_an_unanswered_knock_keeps_a_care_household_due_and_ranks_it_first(store):
    today = store.today()
    due = views.due_households(store.state, today, grid=store.meta["grid"])
    target = next(r for r in due if r["knocks"] == 0 and r["days_since"] is not None)
    store.record_visit({"household": target["id"], "outcome": "no_answer", "findings": []})
    store.record_visit({"household": target["id"], "outcome": "no_answer", "findings": []})
    after = views.due_households(store.state, today, grid=store.meta["grid"])
    mine = next(r for r in after if r["id"] == target["id"])
    assert mine["knocks"] == 2 and mine["days_since"] == target["days_since"]  # the knocks did not reset it
    # ranked with the unanswered doors, before every household whose door simply has not been knocked
    first_quiet = next(i for i, r in enumerate(after) if r["knocks"] == 0)
    assert after.index(mine) < first_quiet
    # meeting her at last takes her off the list
    store.record_visit({"household": target["id"], "outcome": "met", "findings": []})
    assert target["id"] not in [r["id"] for r in views.due_households(store.state, today, grid=store.meta["grid"])]


async def test_the_due_list_shows_unanswered_knocks(store):
    due = views.due_households(store.state, store.today(), grid=store.meta["grid"])
    target = next(r for r in due if r["knocks"] == 0)["id"]
    store.record_visit({"household": target, "outcome": "no_answer", "findings": []})
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        await keys("h")
        at = [r["id"] for r in app.screen.rows].index(target)
        assert "敲门未应 ×1" in rows(app, "followups")[at][3]


def _wish_with_open_finding(store):
    for w in views.wishes(store.state):
        f = store.state.entities["finding"].get(store.state.entities["wish"][w["id"]].get("finding") or "")
        if w["state"] == "claimed" and f is not None and f["status"] in ("open", "referred"):
            return w, f
    raise LookupError


async def test_fulfilling_a_wish_closes_its_finding_in_the_followups(store):
    wish, finding = _wish_with_open_finding(store)
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        assert finding["id"] in [r["id"] for r in app.screen.rows]
        await keys("w")
        await on_screen(pilot, "WishesScreen")
        app.screen.query_one("#wishes").move_cursor(row=[r["id"] for r in app.screen.rows].index(wish["id"]))
        await keys("d")
        await on_screen(pilot, "FormModal")
        await keys("ctrl+s")
        await on_screen(pilot, "WishesScreen")
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        assert finding["id"] not in [r["id"] for r in app.screen.rows]
    assert store.state.entities["finding"][finding["id"]]["status"] == "resolved"


def test_resolving_a_wishs_finding_fulfils_the_wish(store):
    wish, finding = _wish_with_open_finding(store)
    store.set_finding_status(finding["id"], "resolved", "已送到")
    assert store.state.entities["wish"][wish["id"]]["state"] == "fulfilled"


async def test_a_follow_up_date_in_the_past_is_refused_in_the_form(store):
    from test_tui import to_visit_form

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("7", "enter")
        await keys.type("灭火器过期")
        await keys("enter", "enter", "enter")  # past 措施 and 分级 to the date
        await keys.type("2020-01-01")
        await keys("ctrl+s")
        assert "已经过去" in text_of(app.screen.query_one("#error"))
        assert type(app.screen).__name__ == "VisitScreen"  # nothing saved, the form kept


def test_a_follow_up_date_in_the_past_is_refused_by_the_cli(worker_home):
    from gridtui.cli import main

    res = CliRunner().invoke(main, ["--home", str(worker_home), "visit", "add", "--household", "H01", "--outcome",
                                    "met", "--finding", "7:灭火器过期", "--due", "2020-01-01"])
    assert res.exit_code == 2 and "已经过去" in res.output and "Traceback" not in res.output


# --- tables: laid out from the first frame, nothing squeezed to nothing, cuts marked ---------------------


async def test_tables_have_their_widths_before_the_first_idle(store):
    async with started(store) as (app, pilot, keys):
        table = app.screen.query_one("#buildings")
        # every column has a width of its own: nothing waits for the table to measure itself
        assert all(c.width > 0 and not c.auto_width for c in table.columns.values()), table.columns


async def test_a_long_building_name_does_not_squeeze_what_was_asked(store):
    # A building with a very long name gets a follow-up: the other follow-ups keep readable text.
    b = next(iter(store.state.entities["building"].values()))
    store.state.entities["building"][b["id"]] = {**b, "name": "一个名字特别特别特别特别长的楼栋名称"}
    views.drop_index()
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        table = app.screen.query_one("#followups")
        widths = {str(k.value): c.width for k, c in table.columns.items()}
        assert widths["asked"] >= 8, widths
        assert any(r[0].endswith("…") for r in rows(app, "followups"))  # the long name is cut, and says so


async def test_wishes_show_the_unit_with_the_room(store):
    async with started(store) as (app, pilot, keys):
        await keys("w")
        await on_screen(pilot, "WishesScreen")
        first = app.screen.rows[0]
        assert shows(rows(app, "wishes")[0][0], f"{first['building']} {first['unit']}-{first['room']}")


# --- day one: next door, find any household, what is due today -------------------------------------------


async def test_save_and_next_door_walks_the_list_the_worker_came_from(store):
    bi, _, todo = _building_with_unvisited(store)
    async with started(store) as (app, pilot, keys):
        await keys(*["down"] * bi, "enter")
        await on_screen(pilot, "BuildingScreen")
        await keys("u", "enter")
        await on_screen(pilot, "HouseholdScreen")
        assert app.screen.hid == todo[0]["id"]
        keys.count = 0
        await keys("v")
        await on_screen(pilot, "VisitScreen")
        await keys("ctrl+n")  # a door-and-met visit saved, and on to the next door: two keys
        await until(pilot, lambda: type(app.screen).__name__ == "HouseholdScreen" and app.screen.hid == todo[1]["id"])
        assert keys.count == 2
        assert len(app.screen.detail["visits"]) == len([v for v in store.state.entities["visit"].values()
                                                        if v["household"] == todo[1]["id"]])
        await keys("n")  # on again without a visit
        assert app.screen.hid == todo[2]["id"]
        await keys("p")
        assert app.screen.hid == todo[1]["id"]
        await keys("escape")
        await on_screen(pilot, "BuildingScreen")
        assert app.screen.current()["id"] == todo[1]["id"]  # the list kept up with the walk
        assert todo[0]["id"] not in [r["id"] for r in app.screen.shown]  # met: no longer to visit


async def test_find_any_household_in_two_keystrokes_from_anywhere(store):
    from gridtui import search

    target = next(h for h in store.state.entities["household"].values() if h.get("head") == "范卫国")
    async with started(store) as (app, pilot, keys):
        await keys("f")  # from another screen, too
        await on_screen(pilot, "FollowupsScreen")
        keys.count = 0
        await keys("ctrl+f")
        await on_screen(pilot, "SearchScreen")
        await keys.type("f")
        await keys.type("wg")
        assert keys.count == 1
        # rooms and names match at once; pinyin as soon as the initials are worked out (a thread)
        await until(pilot, lambda: bool(app.screen.rows))
        found = app.screen.rows
        assert found and found[0]["id"] == target["id"] and found[0]["found_by"] == "initials"
        assert "范*国" in rows(app, "results")[0][1]  # found by name, still masked
        for query, kind in (("2-302", "unit_room"), (target["phone"][-4:], "phone"), ("独居", "tag"),
                            ("３０２", "room"), ("范卫", "name")):
            app.screen.query_one("#query").value = query
            await pilot.pause()
            assert app.screen.rows and app.screen.rows[0]["found_by"] == kind, (query, app.screen.rows[:1])
        app.screen.query_one("#query").value = "fwg"
        await pilot.pause()
        await keys("enter", "enter")  # to the results, open the first
        await on_screen(pilot, "HouseholdScreen")
        assert app.screen.hid == target["id"]
    assert search.initials("单田芳") >= {"dtf", "stf"}  # a surname of two readings matches by either


async def test_the_palette_finds_a_household_too(store):
    async with started(store) as (app, pilot, keys):
        await pilot.press("ctrl+p")
        await pilot.press(*"查找住户")
        await pilot.pause(0.3)  # the palette searches in a worker
        await pilot.press("enter")
        await on_screen(pilot, "SearchScreen")


async def test_due_today_is_on_the_home_screen_and_under_t(store):
    from gridtui import views

    due = views.due_today(store.state, store.today(), store.meta["grid"])
    async with started(store) as (app, pilot, keys):
        await until(pilot, lambda: "今日待办：关爱对象" in text_of(app.screen.query_one("#title")))
        await keys("t")
        await on_screen(pilot, "TodayScreen")
        shown = rows(app, "today")
        assert len(shown) == len(due)
        # unanswered doors first, then the latest
        knocks = [i["knocks"] > 0 for i in app.screen.rows]
        assert knocks == sorted(knocks, reverse=True)
        assert any("敲门未应" in r[4] for r in shown) and any("逾期" in r[4] for r in shown)
        await keys("enter")
        await on_screen(pilot, "HouseholdScreen")
        assert app.screen.hid == due[0]["household"]


async def test_follow_ups_of_one_building_and_filtering_by_text(store):
    from gridtui import views

    bi, bid, _ = _building_with_unvisited(store, 1)
    async with started(store) as (app, pilot, keys):
        await keys(*["down"] * bi, "enter")
        await on_screen(pilot, "BuildingScreen")
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        mine = views.followups(store.state, store.today(), grid=store.meta["grid"], building=bid)
        assert [r["id"] for r in app.screen.rows] == [r["id"] for r in mine]
        word = mine[0]["asked"][:2]
        await keys("slash")
        await keys.type(word)
        assert app.screen.rows and all(word in r["asked"] or word in r["building"] for r in app.screen.rows)
        await keys("escape")  # clears the filter first
        assert len(app.screen.rows) == len(mine) and type(app.screen).__name__ == "FollowupsScreen"
        await keys("escape")
        await on_screen(pilot, "BuildingScreen")
        await keys("w")
        await on_screen(pilot, "WishesScreen")
        everything = len(app.screen.rows)
        await keys("slash")
        await keys.type("收音机")
        assert 0 < len(app.screen.rows) < everything and all("收音机" in r["title"] for r in app.screen.rows)


def test_the_cli_finds_households_and_lists_what_is_due(tmp_path):
    import json

    from gridtui.cli import main

    home = ["--home", str(tmp_path / "h"), "--demo"]
    found = json.loads(CliRunner().invoke(main, [*home, "households", "--search", "fwg", "--format", "json"]).output)
    assert [(r["id"], r["head"], r["found_by"]) for r in found] == [("H0001", "范*国", "initials")]
    res = CliRunner().invoke(main, [*home, "households", "--due", "--format", "json"])
    due = json.loads(res.output)
    assert due and {d["kind"] for d in due} == {"household", "finding"}
    knocked = [d["unanswered"] > 0 for d in due]
    assert knocked == sorted(knocked, reverse=True) and all("*" in d["head"] for d in due)
    table = CliRunner().invoke(main, [*home, "households", "--due"]).output
    from gridtui.textfmt import cell_width

    assert "未应×" in table and max(cell_width(line) for line in table.splitlines()) <= 80


async def test_due_date_shortcuts_in_the_visit_form(store):
    from test_tui import to_visit_form

    today = store.today()
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        await to_visit_form(pilot, keys, store)
        await keys("7", "enter")
        await keys.type("灭火器过期")
        await keys("enter", "enter")  # 措施, then 分级
        await keys("right")  # 带回协调: a week unless told otherwise
        due = app.screen.query_one(".due")
        assert due.value == (today + dt.timedelta(days=7)).isoformat()
        await keys("enter")
        assert app.screen.focused is due
        due.value = ""
        await keys.type("+3")
        await keys("up", "up", "down")  # +3, then a day later
        assert due.value == (today + dt.timedelta(days=4)).isoformat()
        for _ in range(10):
            await keys("down")
        assert due.value == today.isoformat()  # never into the past
        due.value = ""
        await keys.type("+30")
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
    saved = max(store.state.entities["finding"].values(), key=lambda f: f["_created"])
    assert saved["due"] == (today + dt.timedelta(days=30)).isoformat() and saved["triage"] == "coordinate"


async def test_a_status_change_says_what_changed_and_can_be_undone(store):
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        row = app.screen.current()
        events_before = store.event_count
        await keys("d")
        await on_screen(pilot, "FormModal")
        await keys("ctrl+s")
        await on_screen(pilot, "FollowupsScreen")
        shown = [n.message for n in app._notifications]
        assert any(m.startswith("已办结：") and row["asked"] in m and "ctrl+z 撤销" in m for m in shown), shown
        assert row["id"] not in [r["id"] for r in app.screen.rows]
        await keys("ctrl+z")
        assert row["id"] in [r["id"] for r in app.screen.rows]  # back in the list, as it was
        f = store.state.entities["finding"][row["id"]]
        assert f["status"] == row["status"] and store.event_count == events_before + 2  # a new change, nothing lost
        assert [h["status"] for h in f["history"][-2:]] == ["resolved", row["status"]]
        await keys("ctrl+z")
        assert any("没有可以撤销" in n.message for n in app._notifications)


async def test_escape_on_a_typed_dialog_asks_first(store):
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        await keys("r")
        await on_screen(pilot, "FormModal")
        await keys.type("街道城管中队")
        await keys("escape")
        await on_screen(pilot, "ConfirmModal")
        await keys("n")
        await on_screen(pilot, "FormModal")
        assert app.screen.values()["to"] == "街道城管中队"
        await keys("escape", "y")
        await on_screen(pilot, "FollowupsScreen")


async def test_home_end_and_pages_in_tables_help_that_explains_and_a_too_small_notice(store):
    async with started(store) as (app, pilot, keys):
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        n = len(app.screen.rows)
        await keys("end")
        assert cursor_row(app, "followups") == n - 1
        await keys("home")
        assert cursor_row(app, "followups") == 0
        await keys("pagedown")
        assert cursor_row(app, "followups") > 1
        await keys("question_mark")
        await on_screen(pilot, "HelpScreen")
        help_text = screen_text(app)
        assert "办结：问题已经解决" in help_text and "0 显示全部角色" in help_text and "Home End" in help_text
        await keys("escape")
        # on the last door of a list, "next door" is not offered in the help
        await keys("end", "enter")
        await on_screen(pilot, "HouseholdScreen")
        await keys("question_mark")
        await on_screen(pilot, "HelpScreen")
        assert ("下一户" in screen_text(app)) == (app.screen_stack[-2].next_door() is not None)
        await keys("escape")
        await pilot.resize_terminal(50, 14)
        await pilot.pause()
        assert "窗口太小" in text_of(app.screen.query_one("#topbar"))
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert "窗口太小" not in text_of(app.screen.query_one("#topbar"))


def test_the_index_taken_in_after_saves_equals_one_built_afresh(store):
    first = next(iter(store.state.entities["household"]))
    views.index(store.state)
    for i, outcome in enumerate(("met", "no_answer", "met")):
        store.record_visit({"household": first, "outcome": outcome, "note": f"第{i}次",
                            "findings": [{"role": "safety", "asked": "灭火器"}] if outcome == "met" else []})
        views.index(store.state)  # taken in step by step, as the app does after each save
    kept = views.index(store.state)

    def plain(ix):
        return ({h: [v["id"] for v in vs] for h, vs in ix.visits_by_household.items()},
                {h: [f["id"] for f in fs] for h, fs in ix.findings_by_household.items()})

    views.drop_index()
    assert plain(kept) == plain(views.index(store.state))


async def test_the_footer_at_60_columns_cuts_between_characters_and_keeps_help(store):
    from gridtui.textfmt import cell_width

    app = make_app(store)
    async with app.run_test(size=(60, 20)) as pilot:
        keys = Keys(pilot)
        await on_screen(pilot, "BuildingsScreen")
        await keys("f")
        await on_screen(pilot, "FollowupsScreen")
        bar = app.screen.query_one("#keybar").render().plain.rstrip()
        assert cell_width(bar) <= 60 and bar.endswith("? 帮助  ^p 命令"), bar
        assert "…" in bar  # what did not fit is marked as cut, not sliced through a character


async def test_a_table_is_laid_out_by_the_call_that_fills_it_and_a_longer_title_takes_two_lines(store):
    # DataTable measures new rows when idle: the first frame showed an empty table, and a second
    # layout drew the whole screen again (twice the bytes over a slow SSH link).
    async with started(store) as (app, pilot, keys):
        table = app.screen.query_one(GridTable)
        fill_table(table, [("a", "甲"), ("b", "乙")], [["幸福里", "2-302"]] * 30, 0, 80)
        assert table.virtual_size.height == 31  # header + rows, before any idle
        assert table.virtual_size.width == sum(c.get_render_width(table) for c in table.columns.values())
        # The title is not laid out again while it keeps its height; when it needs two lines, it is.
        app.screen.set_title("短标题")
        await pilot.pause()
        assert app.screen.query_one("#title").size.height == 1
        app.screen.set_title("很长的标题" * 12)
        await pilot.pause()
        assert app.screen.query_one("#title").size.height == 2
        app.screen.set_title("短标题")
        await pilot.pause()
        assert app.screen.query_one("#title").size.height == 1


async def test_a_table_draws_its_cells_as_datatable_would(store):
    # GridTable draws one-line text cells itself (DataTable's general path is most of a search
    # keystroke); what reaches the screen must be DataTable's own, character and style alike.
    from rich.segment import Segment
    from rich.text import Text
    from textual.widgets import DataTable

    from gridtui.tui.widgets import WARN, cell, num

    def drawn(lines):
        return [[(s.text, s.style) for s in Segment.simplify(line)] for line in lines]

    rows = [[cell("幸福里小区12栋 2-302"), cell("范*国", "bold"), num(12), cell("", "dim"), cell("独居老人", WARN)],
            [cell("A"), cell("x" * 3, "dim"), num(7, "bold"), cell("2026-11-20"), Text("左", justify="left")],
            [cell("有[b]标记[/b]"), cell(None), num(0), cell("中文和 ASCII 混排"), Text("中", justify="center")],
            ["纯字符串", Text.assemble(("两", "bold"), "段"), 3.5, None, cell("tab\there")]]
    async with started(store) as (app, pilot, keys):
        table = app.screen.query_one(GridTable)
        fill_table(table, [(k, k) for k in "abcde"], rows, 0, 80)
        await pilot.pause()
        key = table._row_locations.get_key(0)
        assert table._plain_cell(key, 0, 0, table.rich_style, 30, False, False) is not None  # drawn here
        for hover in (False, True):
            table._show_hover_cursor = hover
            for r in range(len(rows)):
                for c in range(5):
                    for cursor, extra in ((False, 0), (True, 0), (False, 3), (True, -1)):
                        width = table.ordered_columns[c].get_render_width(table) + extra
                        ours = GridTable._render_cell(table, r, c, table.rich_style, width, cursor, hover)
                        table._cell_render_cache.clear()
                        theirs = DataTable._render_cell(table, r, c, table.rich_style, width, cursor, hover)
                        table._cell_render_cache.clear()
                        assert drawn(ours) == drawn(theirs), (r, c, cursor, hover)


def _count_frames(app) -> list:
    """The updates that reach the terminal from now on (a headless app drops them at the last step,
    after this count)."""
    frames = []
    display = app._display

    def counted(screen, update):
        if update is not None and not app._batch_count:
            frames.append(update)
        return display(screen, update)

    app._display = counted
    return frames


def _names(frames) -> list[str]:
    return [type(f).__name__ for f in frames]


def _rows_drawn(frames) -> int:
    """How many screen rows the updates drew, a row drawn twice counted twice."""
    return sum(len(f.strips) if type(f).__name__ == "LayoutUpdate" else len({y for y, _, _ in f.spans})
               for f in frames)


async def test_every_screen_change_is_drawn_in_one_frame(store):
    # Textual drew a screen as it resumed, again after its first layout, again for the repaint its
    # resume asked for, and again when the screen it replaced was removed: three to four frames,
    # three times the bytes a slow SSH link carries.
    async with started(store) as (app, pilot, keys):
        frames = _count_frames(app)
        for key, screen in (("enter", "BuildingScreen"), ("enter", "HouseholdScreen"), ("escape", "BuildingScreen"),
                            ("escape", "BuildingsScreen"), ("f", "FollowupsScreen"), ("ctrl+l", "FollowupsScreen")):
            frames.clear()
            await keys(key)
            await on_screen(pilot, screen)
            await pilot.pause(0.05)
            assert _names(frames) == ["LayoutUpdate"], (key, screen, _names(frames))  # one frame, of the whole screen
        frames.clear()
        await pilot.resize_terminal(79, 24)
        await pilot.pause(0.05)
        assert _names(frames) == ["LayoutUpdate"], _names(frames)
        assert not app._batch_count  # nothing is held once the screen has settled


async def test_a_saved_visit_and_its_message_are_one_frame(store):
    # Textual mounted the toast after the frame that asked for it, and drew it once more when its
    # rack scrolled to it: the toast's rows went over the link three times.
    async with started(store, notifications=True) as (app, pilot, keys):
        app.warm_search()  # done, as the real app does it after start-up: search will not redraw for it
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        await to_visit_form(pilot, keys, store)
        await pilot.pause(0.05)
        frames = _count_frames(app)
        await keys("ctrl+s")
        await on_screen(pilot, "HouseholdScreen")
        await pilot.pause(0.1)
        assert _names(frames) == ["LayoutUpdate"], _names(frames)
        drawn = "".join(seg.text for line in frames[0].strips for strip in line for seg in strip)
        assert t("ui.visit.saved") in drawn  # the message is in that frame
        frames.clear()
        await keys("ctrl+f")  # a new screen, the message still up: drawn with it, once
        await on_screen(pilot, "SearchScreen")
        await pilot.pause(0.1)
        assert _names(frames) == ["LayoutUpdate"], _names(frames)
        assert app.holds_ran_out == 0 and not app._batch_count


async def test_a_search_key_draws_the_results_once(store):
    # The first key fills the table, and a table's first size asked Textual for a second layout,
    # which drew every row again: each search key sent the screen about twice.
    async with started(store) as (app, pilot, keys):
        await keys("ctrl+f")
        await on_screen(pilot, "SearchScreen")
        await pilot.pause(0.1)
        frames = _count_frames(app)
        for key in ("3", "0", "backspace"):
            frames.clear()
            await keys(key)
            await pilot.pause(0.1)
            assert key != "3" or app.screen.rows  # the first key finds rooms
            assert _rows_drawn(frames) <= SIZE[1], (key, _names(frames), _rows_drawn(frames))
        assert app.holds_ran_out == 0 and not app._batch_count


async def test_keys_typed_faster_than_screens_come_up_leave_nothing_held(store):
    # Frames are held while a screen comes up; keys that open and close screens faster than they
    # settle (a worker who knows the way) must neither leave the screen undrawn nor wait for the
    # hold's time limit.
    async with started(store) as (app, pilot, keys):
        await pilot.press("enter", "enter", "escape", "escape", "f", "escape", "w", "escape", "t", "escape",
                          "ctrl+f", "3", "escape", "enter", "enter", "v", "escape", "escape", "escape")
        await on_screen(pilot, "BuildingsScreen")
        await pilot.pause(0.1)
        assert not app._batch_count and not app._held
        assert app.holds_ran_out == 0
        await keys("question_mark")  # a modal over the screen, and back
        await pilot.pause(0.05)
        await keys("escape")
        await on_screen(pilot, "BuildingsScreen")
        await pilot.pause(0.1)
        assert not app._batch_count and app.holds_ran_out == 0
