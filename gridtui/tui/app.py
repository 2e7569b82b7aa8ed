"""GridApp: the worker's terminal app over an open store (the CLI opens and closes the store)."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

from rich.text import Text
from textual import events, work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette, Hit, Hits
from textual.system_commands import SystemCommandsProvider
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.css.query import NoMatches
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets._toast import ToastRack

from ..errors import UserError
from ..terminal import on_a_terminal
from .. import i18n
from ..i18n import t
from .base import ConfirmModal, HelpScreen
from .widgets import error_text

if TYPE_CHECKING:
    from ..store import Store


class Commands(SystemCommandsProvider):
    """The app's commands in the palette; a search that finds none says so in the app's language
    (Textual's own line is English)."""

    async def search(self, query: str) -> Hits:
        found = False
        async for hit in super().search(query):
            found = True
            yield hit
        if not found and query.strip():
            yield Hit(0, t("ui.palette.none"), lambda: None)


class GridApp(App):
    CSS_PATH = str(Path(__file__).with_name("gridtui.tcss"))  # absolute: subclasses elsewhere find it too
    COMMANDS = {Commands}
    TITLE = "gridtui"

    BINDINGS = [
        Binding("ctrl+f", "search", "ui.key.search", priority=True),
        Binding("t", "today", "ui.key.today"),
        Binding("f", "followups", "ui.key.followups"),
        Binding("w", "wishes", "ui.key.wishes"),
        Binding("s", "sync", "ui.key.sync"),
        Binding("g", "summary", "ui.key.summary"),

        Binding("ctrl+z", "undo", "ui.key.undo", show=False),
        Binding("ctrl+l", "redraw", "ui.key.redraw", show=False),
        Binding("question_mark", "help", "ui.key.help", key_display="?"),
        Binding("ctrl+q", "quit", "ui.key.quit", show=False, priority=True),
    ]

    LOCK_CHECK_SECONDS = 5.0
    TERMINAL_CHECK_SECONDS = 2.0
    WARM_SEARCH_AFTER_S = 1.0
    WARM_CHUNK = 64  # names between two chances for the main thread to run

    def __init__(self, store: Store, cycle: str = "month", home: Path | None = None, lock_minutes: float = 5,
                 settle_memory: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.home = home
        self.settle_memory = settle_memory  # the real app (not a test harness running many): see settle()
        self._warming = False
        self._held, self._hold_timer = 0, None  # see _hold_frames
        self._held_screen: Screen | None = None
        self._steps: dict[Screen, set[object]] = {}  # steps of holds waiting in a screen's queue (see _step)
        self._dropped: list[Region] | None = []  # what the frames dropped while held drew; None: all
        self.holds_ran_out = 0
        self._pointer_shape: str | None = None
        # Only a store behind a PIN locks (training data is made up); 0 never locks.
        self.lock_minutes = lock_minutes if store.encrypted and not store.training else 0
        self.locked = False
        self.reveal_needs_pin = False  # set by a lock: names are shown again only after the PIN
        self._last_input = time.monotonic()
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"  # SSH and slow terminals: no sliding, no smooth scrolling
        self.store = store
        self.settle()  # the store is loaded: Textual's start-up makes enough objects to scan it twice
        self.cycle = cycle

    def _fatal_error(self) -> None:
        """A bug: Textual's own handler would print a traceback with every local variable (residents'
        names, the sync key) — the hook it offers for unhandled exceptions is this method, so it is
        replaced: one sentence on the way out, and a report without data for the office."""
        from .. import crash

        error = self._exception or sys.exc_info()[1]
        path = crash.record(error, self.home) if error is not None else None
        self.bell()
        self._exit_renderables.append(Text(t("crash.tui", path=path or "-")))
        self._close_messages_no_wait()

    async def on_event(self, event) -> None:  # noqa: ANN001 - any event
        if isinstance(event, (events.Key, events.MouseDown)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.lock_minutes and not self.locked and time.monotonic() - self._last_input > self.lock_minutes * 60:
            self.lock()

    def _check_terminal(self) -> None:
        # Gone without a hang-up signal (see gridtui.terminal): close, so that the store is let go
        # and a new session can open it. What was saved stays; a form left half-filled is dropped.
        if not on_a_terminal():
            self.exit()

    def lock(self) -> None:
        """Cover everything until the PIN is typed again; names stay masked until it is asked once more."""
        from .lock import PinScreen

        self.locked = True
        self.reveal_needs_pin = True

        def unlocked(_: bool | None) -> None:
            self.locked = False
            self._last_input = time.monotonic()

        self.push_screen(PinScreen(t("ui.lock.locked", minutes=_minutes(self.lock_minutes)), can_cancel=False),
                         unlocked)

    def settle(self) -> None:
        """Tell the garbage collector that what is loaded now stays: the ledger (a 5,000-household
        grid is some 200,000 objects) and the app's widgets. Each full collection would otherwise scan
        them all again, and a keystroke that builds a table's rows triggers one: measured 21 → 8 ms of
        a search keystroke; done once the store is loaded too, Textual's start-up is twice as quick
        (0.30 → 0.15 s to the first screen on a 5,000-household grid). Objects made later are
        collected as usual. Only for the real app: a test process running hundreds of apps should let
        each one go."""
        if self.settle_memory:
            gc.freeze()

    def on_ready(self) -> None:
        self.settle()
        if self.settle_memory:
            self.set_timer(self.WARM_SEARCH_AFTER_S, self.warm_search)

    def warm_search(self) -> None:
        """Work out the residents' pinyin initials in the background, once, so that search matches
        them from the first key. The real app starts this a moment after it is ready (the first
        screen is drawn by then, and a worker rarely searches in the first second); search starts it
        at once if that has not happened yet."""
        if not self._warming:
            self._warming = True
            self._warm()

    # Not worth the app: without initials, search still finds rooms, names and phones.
    @work(thread=True, group="warm", exit_on_error=False)
    def _warm(self) -> None:
        from .. import search

        names = [h.get("head") or "" for h in list(self.store.state.entities["household"].values())]
        todo = [n for n in dict.fromkeys(names) if n and not search.known_initials(n)]
        for i in range(0, len(todo), self.WARM_CHUNK):
            search.warm(todo[i:i + self.WARM_CHUNK])
            time.sleep(0)  # let a keystroke on the main thread have the interpreter first
        if todo:
            self.call_from_thread(self._search_warmed)

    def _search_warmed(self) -> None:
        from .search import SearchScreen

        for screen in self.screen_stack:
            if isinstance(screen, SearchScreen):
                screen.refresh_data()

    def on_mount(self) -> None:
        if self.lock_minutes:
            self.set_interval(min(self.LOCK_CHECK_SECONDS, self.lock_minutes * 30), self._check_idle)
        if not self.is_headless and on_a_terminal():
            self.set_interval(self.TERMINAL_CHECK_SECONDS, self._check_terminal)
        if self.store.loss:
            from ..i18n import loss_message

            self.notify(loss_message(self.store.loss, office=False), severity="warning", timeout=30)

    # --- one frame a screen change ------------------------------------------------------------------
    #
    # Opening or leaving a screen, Textual draws it as soon as it resumes, again when its first
    # layout resizes it, again for the repaint its resume asks for, and again when the screen left
    # is removed: three to four full frames, three times the bytes a slow SSH link must carry.
    # Frames are held while the screen coming up settles (its first idle, and the removal of the
    # one it replaced), then it is laid out and drawn once. A hold never outlasts HOLD_AT_MOST_S.

    HOLD_AT_MOST_S = 0.5

    def push_screen(self, screen, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201 - Textual's own
        self._hold_frames()
        got = super().push_screen(screen, *args, **kwargs)
        self._held_until_idle()
        return got

    def pop_screen(self):  # noqa: ANN201 - Textual's own
        self._hold_frames()
        gone = self.screen
        removal = super().pop_screen()
        self._held_until_idle()
        if self._hold_timer is not None:
            self._held += 1
            self.call_next(self._held_until_done, removal, gone)  # queued behind Textual's own removal
        return removal

    def _refresh_notifications(self) -> None:  # Textual's own
        # Textual mounts a toast after the frame that asked for it, then draws it once more when
        # its rack scrolls to it: the toast's rows went over the link three times. Held until the
        # toast is mounted and its rack has scrolled, the toast is drawn with the frame.
        try:
            rack = self.screen.get_child_by_type(ToastRack)
        except (ScreenStackError, NoMatches):
            return
        self._hold_frames()
        self.call_later(self._show_toasts, rack)

    async def _show_toasts(self, rack: ToastRack) -> None:
        released = False
        try:
            rack.show(self._notifications)
            await AwaitMount(rack, [w for w in rack.children if not w.is_mounted])
            # The rack scrolls to the new toast after a refresh (Widget.scroll_end): behind that.
            self._step(rack.screen, lambda step: rack.call_later(rack.call_after_refresh, step), self._lay_out_held)
            released = True
        finally:
            if not released:
                self._held_done()

    def _set_pointer_shape(self, shape: str) -> None:
        # Each new screen sets the mouse pointer's shape again, the same one: bytes for nothing.
        if shape != self._pointer_shape:
            self._pointer_shape = shape
            super()._set_pointer_shape(shape)

    def action_redraw(self) -> None:
        """Draw the whole screen again: an SSH link that dropped bytes, or another program that
        wrote over it, can leave it garbled. One full frame, nothing else."""
        self.screen.refresh()

    def _hold_frames(self) -> None:
        if not self.is_running:
            return
        if not self._held:
            self._begin_batch()
            self._hold_timer = self.set_timer(self.HOLD_AT_MOST_S, self._hold_ran_out)
            self._held_screen, self._dropped = (self.screen_stack or [None])[-1], []
        self._held += 1

    def hold_frames_until_idle(self) -> None:
        """Hold frames until the top screen's next idle (a screen resized refits its tables)."""
        self._hold_frames()
        self._held_until_idle()

    def hold_frames_until_laid_out(self) -> None:
        """Hold frames while the caller changes the top screen, until it is laid out again; then
        draw once (a search's first key fills its table)."""
        self._hold_frames()
        try:
            screen = self.screen
        except ScreenStackError:
            self._held_done()
            return
        self._step(screen, screen.call_after_refresh, self._lay_out_held)

    def _lay_out_held(self) -> None:
        # A widget's first layout gives it its size, and that asks for a second layout, whose
        # frame would draw the widget again. Laid out here, while held, the frame after is the only one.
        try:
            screen = self.screen
        except ScreenStackError:
            self._held_done()
            return
        screen._refresh_layout()
        # The widgets it resized would ask for that second layout when next idle, after the hold:
        # asked now, their requests are in the screen's queue ahead of the hold's end.
        for widget in screen.walk_children(Widget):
            widget._check_refresh()
        self._step(screen, screen.call_later, self._held_done)

    def _step(self, screen: Screen, post, step) -> None:  # noqa: ANN001 - post(callback), step()
        """Post the next ``step`` of a hold through ``screen``'s queue. A screen popped before it
        ran (Esc pressed at once) takes its queue along: the hold then ends with its removal
        (_held_until_done), not half a second later when it runs out of time."""
        token = object()
        waiting = self._steps.setdefault(screen, set())
        waiting.add(token)

        def run() -> None:
            if token in waiting:
                waiting.discard(token)
                step()

        if not post(run):  # the screen is closing already
            waiting.discard(token)
            self._held_done()

    def _steps_lost(self, screen: Screen) -> None:
        for _ in self._steps.pop(screen, ()):
            self._held_done()

    def _held_until_idle(self) -> None:
        if self._held:
            self.call_after_refresh(self._held_done)  # the new top screen's first idle

    async def _held_until_done(self, removal: object, gone: Screen) -> None:
        try:
            await removal  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - whoever popped the screen hears of it; here it only ends the hold
            pass
        self._steps_lost(gone)
        self.call_next(self._held_done)  # behind the refresh Textual queues when the removal ends

    def _held_done(self) -> None:
        if self._held:
            self._held -= 1
            if not self._held:
                self._release_frames()

    def _hold_ran_out(self) -> None:
        # Something the hold waited for never came (a screen removed before its first idle): draw
        # anyway. Counted, so a test can tell that screen changes do not come to this.
        self.holds_ran_out += 1
        self._release_frames()

    def _release_frames(self) -> None:
        if self._hold_timer is None:
            return
        self._held = 0
        self._hold_timer.stop()
        self._hold_timer = None
        self._end_batch()
        if not self.screen_stack:  # the app is closing
            return
        screen = self.screen
        # Laid out once more (what changed while held), and that layout's frame draws what the
        # frames dropped while holding would have drawn: they took their changes with them. A
        # screen new since the hold began, or one that asked to be repainted, is drawn whole.
        whole = screen._compositor.size.region
        dropped = self._dropped
        if dropped is None or screen is not self._held_screen or screen._repaint_required:
            dropped = [whole]
        screen._compositor._dirty_regions.update(r.intersection(whole) for r in dropped)
        screen._repaint_required = False
        self._held_screen, self._dropped = None, []
        screen.refresh(layout=True, repaint=False)

    def _display(self, screen: Screen, renderable: object) -> None:  # Textual's own
        if self._batch_count and self._hold_timer is not None and renderable is not None and self._dropped is not None:
            if isinstance(renderable, LayoutUpdate):
                self._dropped.append(renderable.region)
            elif isinstance(renderable, ChopsUpdate):
                self._dropped.extend(Region(x1, y, x2 - x1, 1) for y, x1, x2 in renderable.spans)
            else:
                self._dropped = None
        super()._display(screen, renderable)

    def get_default_screen(self) -> Screen:
        from .buildings import BuildingsScreen

        return BuildingsScreen()

    # --- going places ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("followups", "wishes", "sync", "summary", "today", "search") and \
                not getattr(self.screen, "GLOBAL_KEYS", True):
            return False  # e.g. half-filled visit form: finish or cancel it first
        return True

    def goto(self, screen_type: type[Screen]) -> None:
        """Show the screen of this type: back down to it if it is open, else open it."""
        for i, screen in enumerate(self.screen_stack):
            if isinstance(screen, screen_type):
                for _ in range(len(self.screen_stack) - 1 - i):
                    self.pop_screen()
                return
        self.push_screen(screen_type())

    def close_form(self, form: Screen, result: object, message: str) -> None:
        """Dismiss a form that has saved, and say so: the screen below is drawn once, with what was
        saved and the message, after the form is gone (see _hold_frames)."""
        self._hold_frames()
        try:
            form.dismiss(result)
            self.notify(message)
        finally:
            self._held_done()

    def action_home(self) -> None:
        for _ in range(len(self.screen_stack) - 1):
            self.pop_screen()

    def action_followups(self) -> None:
        from .followups import FollowupsScreen

        self.goto(FollowupsScreen)

    def action_wishes(self) -> None:
        from .wishes import WishesScreen

        self.goto(WishesScreen)

    # --- undo: the last status change, for a few seconds --------------------------------------------

    UNDO_SECONDS = 10.0

    def offer_undo(self, events: list[dict], message: str) -> None:
        """Say what just changed, naming the record, and keep it undoable for a few seconds."""
        self._undo = (events, time.monotonic() + self.UNDO_SECONDS)
        self.notify(f"{message} · {t('ui.undo.hint')}", timeout=self.UNDO_SECONDS)

    def action_undo(self) -> None:
        events, until = getattr(self, "_undo", None) or ((), 0.0)
        if not events or time.monotonic() > until:
            self.notify(t("ui.undo.none"))
            return
        self._undo = None
        try:
            self.store.undo(list(events))
        except (UserError, OSError) as err:
            self.notify(error_text(err), severity="error")
            return
        self.notify(t("ui.undo.done"))
        refresh = getattr(self.screen, "data_changed", None)
        if refresh:
            refresh()

    def action_today(self) -> None:
        from .today import TodayScreen

        self.goto(TodayScreen)

    def action_search(self) -> None:
        from .search import SearchScreen

        if isinstance(self.screen, SearchScreen):
            self.screen.query_one("#query").focus()
            return
        self.goto(SearchScreen)

    def action_summary(self) -> None:
        from .summary import SummaryScreen

        self.goto(SummaryScreen)

    def action_sync(self) -> None:
        """Sync with the shared folder: the store's part here, the file I/O in a thread."""
        from ..errors import UserError
        from ..sync import worker as sync

        try:
            out = sync.prepare(self.store, self.home or Path())
        except UserError as exc:
            self.store.release_events()
            self.notify(t(exc.key, **exc.args_), severity="warning")
            return
        self.notify(t("ui.syncing"), timeout=2)
        self._exchange(out)

    @work(thread=True, exclusive=True, group="sync")
    def _exchange(self, out) -> None:  # noqa: ANN001 - sync.worker.Outgoing
        from ..errors import UserError
        from ..sync import worker as sync

        try:
            office = sync.exchange(out)
        except UserError as exc:
            self.call_from_thread(self._sync_failed, t(exc.key, **exc.args_))
            return
        except OSError as exc:
            self.call_from_thread(self._sync_failed, i18n.os_error(exc))
            return
        self.call_from_thread(self._synced, out, office)

    def _sync_failed(self, message: str) -> None:
        self.store.release_events()
        self.notify(message, severity="error", timeout=8)

    def _synced(self, out, office) -> None:  # noqa: ANN001
        from ..sync import worker as sync

        try:
            result = sync.finish(self.store, out, office)
        finally:
            self.store.release_events()  # the sync read the log; the app goes on with the state alone
        self.settle()  # what the sync brought in stays too
        self.notify(sync.message(result), timeout=8)
        refresh = getattr(self.screen, "data_changed", None)
        if refresh:
            refresh()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        sections = [
            (t("ui.help.screen"), _keys(self, [screen], screen.check_action)),
            (t("ui.help.app"), _keys(self, [self], self.check_action)),
            (t("ui.help.general"), [(k, t(d)) for k, d in _GENERAL]),
            (t("ui.help.words"), [(t(f"ui.word.{w}"), t(f"ui.word.{w}.means")) for w in _WORDS]),
        ]
        self.push_screen(HelpScreen([s for s in sections if s[1]]))

    async def action_quit(self) -> None:
        """Quit; if a visit form holds unsaved input, ask first (everything saved is already on disk)."""
        dirty = any(getattr(s, "is_dirty", lambda: False)() for s in self.screen_stack)
        if not dirty or isinstance(self.screen, ConfirmModal):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmModal(t("ui.quit_discard_q")), answered)

    def action_help_quit(self) -> None:
        self.notify(t("ui.quit_hint"))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("ui.palette.placeholder")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(t("ui.cmd.home"), t("ui.cmd.home_help"), self.action_home)
        yield SystemCommand(t("ui.cmd.followups"), t("ui.cmd.followups_help"), self.action_followups)
        yield SystemCommand(t("ui.cmd.wishes"), t("ui.cmd.wishes_help"), self.action_wishes)
        yield SystemCommand(t("ui.cmd.search"), t("ui.cmd.search_help"), self.action_search)
        yield SystemCommand(t("ui.cmd.today"), t("ui.cmd.today_help"), self.action_today)
        yield SystemCommand(t("ui.cmd.summary"), t("ui.cmd.summary_help"), self.action_summary)
        yield SystemCommand(t("ui.cmd.sync"), t("ui.cmd.sync_help"), self.action_sync)
        yield SystemCommand(t("ui.cmd.help"), t("ui.cmd.help_help"), self.action_help)
        yield SystemCommand(t("ui.cmd.quit"), t("ui.cmd.quit_help"), self.action_quit)


def _minutes(m: float) -> str:
    return str(int(m)) if m >= 1 else f"{m:g}"


# Keys the widgets themselves handle, for the help screen: (key, i18n key of what it does).
_GENERAL = (
    ("↑ ↓", "ui.help.move"),
    ("PgUp PgDn", "ui.help.page"),
    ("Home End", "ui.help.ends"),
    ("Enter", "ui.help.enter"),
    ("Tab", "ui.help.tab"),
    ("← →", "ui.help.choose"),
    ("^p", "ui.help.palette"),
    ("^q", "ui.help.quit"),
)


# Words of the ledger a new worker asks about, explained in the help.
_WORDS = ("resolved_closed", "referred", "role_zero", "due", "knocks", "coordinate")


def _keys(app: App, nodes: list, works) -> list[tuple[str, str]]:  # noqa: ANN001 - check_action
    """(keys, description) of the bindings gridtui declares on these nodes that work right now;
    keys of one action as 'n/esc'."""
    from textual.actions import parse

    out: dict[tuple[str, str], list[str]] = {}
    for node in nodes:
        for cls in reversed(type(node).__mro__):
            if not cls.__module__.startswith("gridtui."):
                continue  # Textual's own (focus next, copy …) are listed under moving around
            for b in cls.__dict__.get("BINDINGS", ()):
                if not b.description.startswith("ui."):
                    continue
                action, _, params = parse(b.action)
                if works(action, params) is False:
                    continue  # e.g. next door on the last door, global keys on a half-filled form
                keys = out.setdefault((b.action, t(b.description)), [])
                for key in b.key.split(","):
                    display = app.get_key_display(replace(b, key=key.strip()))
                    if display not in keys:
                        keys.append(display)
    return [("/".join(keys), desc) for (_, desc), keys in out.items()]
