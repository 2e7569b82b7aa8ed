"""The visit form: mode, outcome, note, and findings added with the number keys 1–7.

Built for the common visit: it opens on door + met, a number key adds a finding of that role with
focus on its category, Enter moves on to what was asked, and ctrl+s saves:
    v  7  Enter  <text>  ctrl+s        (4 key presses plus the typed text)
ctrl+n saves and goes straight on to the next door of the list the worker came from.
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from .. import model, vocab
from ..i18n import cat_name, name, t
from .base import ConfirmModal, GridScreen
from .widgets import ChoiceBar, error_text, field, head_text


def _row(label: str, widget: Widget) -> Horizontal:
    return Horizontal(Label(label, classes="label"), widget, classes="row")


COORDINATE_DAYS = 7  # 带回协调: taken back to the office, followed up within a week unless told otherwise


def due_date(text: str, today: dt.date) -> str | None:
    """What the date field holds as a date: YYYY-MM-DD as typed, or +N days from today."""
    text = text.strip()
    if text.startswith("+") and text[1:].isdigit():
        return (today + dt.timedelta(days=int(text[1:]))).isoformat()
    return text or None


class DueInput(Input):
    """The follow-up date: YYYY-MM-DD, or +3 / +7 / +30 from today; ↑/↓ move it a day."""

    BINDINGS = [Binding("up", "step(1)", show=False), Binding("down", "step(-1)", show=False)]

    def __init__(self, today: dt.date, **kw: object) -> None:
        super().__init__(placeholder=t("ui.ph.date"), restrict=r"[0-9+-]*", max_length=10, compact=True,
                         select_on_focus=False, **kw)  # type: ignore[arg-type]
        self.cursor_blink = False
        self.today = today

    def day(self) -> dt.date | None:
        try:
            got = due_date(self.value, self.today)
            return dt.date.fromisoformat(got) if got else None
        except ValueError:
            return None

    def action_step(self, days: int) -> None:
        day = (self.day() or self.today) + dt.timedelta(days=days)
        self.value = max(day, self.today).isoformat()  # never into the past
        self.cursor_position = len(self.value)

    def on_blur(self) -> None:
        if self.value.strip().startswith("+"):
            self.value = due_date(self.value, self.today) or ""


class FindingForm(Vertical):
    """One finding: 诉求 → 措施, category, triage, follow-up date; for a data finding, the proposed facts."""

    def __init__(self, role: str, number: int, today: dt.date) -> None:
        super().__init__(classes="finding")
        self.role = role
        self.number = number
        self.today = today

    def compose(self) -> ComposeResult:
        role = self.role
        yield Static(self.heading(), classes="finding-title")
        yield _row(t("ui.f.category"), ChoiceBar([(c, cat_name(role, c)) for c in model.CATEGORIES[role]],
                                                 classes="category"))
        yield _row(t("ui.f.asked"), field(t("ui.ph.asked"), classes="asked"))
        yield _row(t("ui.f.action"), field(t("ui.ph.action"), classes="action"))
        yield _row(t("ui.f.triage"), ChoiceBar([(x, name("triage", x)) for x in model.TRIAGE], classes="triage"))
        yield _row(t("ui.f.due"), DueInput(self.today, classes="due"))
        if role == "data":
            yield _row(name("fact", "people"), field(t("ui.ph.unchanged"), classes="people", restrict=r"[0-9]*",
                                                     max_length=2))
            yield _row(name("fact", "phone"), field(t("ui.ph.unchanged"), classes="phone",
                                                    restrict=r"[0-9 +-]*", max_length=20))
            yield _row(name("fact", "tags"), field(t("ui.ph.tags"), classes="tags"))
            yield _row(name("fact", "moved_out"), ChoiceBar([(False, t("ui.no")), (True, t("ui.yes"))],
                                                            classes="moved_out"))

    def on_choice_bar_changed(self, event: ChoiceBar.Changed) -> None:
        if "triage" in event.bar.classes and event.value == "coordinate":
            due = self.query_one(".due", Input)
            if not due.value.strip():
                due.value = (self.today + dt.timedelta(days=COORDINATE_DAYS)).isoformat()

    def heading(self) -> str:
        return t("ui.visit.finding", n=self.number, role=name("role", self.role))

    def renumber(self, number: int) -> None:
        self.number = number
        self.query_one(".finding-title", Static).update(self.heading())

    def _text(self, cls: str) -> str:
        return self.query_one(f".{cls}", Input).value

    def value(self) -> dict:
        f = {
            "role": self.role,
            "category": self.query_one(".category", ChoiceBar).value,
            "asked": self._text("asked"),
            "action": self._text("action"),
            "triage": self.query_one(".triage", ChoiceBar).value,
            "due": due_date(self._text("due"), self.today),
        }
        if self.role == "data":
            proposed: dict = {}
            if self._text("people").strip():
                proposed["people"] = self._text("people").strip()
            if self._text("phone").strip():
                proposed["phone"] = self._text("phone").strip()
            if self._text("tags").strip():
                proposed["tags"] = self._text("tags")  # as typed: names are read on save (read_tags)
            if self.query_one(".moved_out", ChoiceBar).value:
                proposed["moved_out"] = True
            if proposed:
                f["proposed"] = proposed
        return f


def read_tags(visit: dict) -> dict:
    """The tags a data finding proposes, typed as names (独居老人、低保), as codes; unknown ones refused."""
    for f in visit["findings"]:
        if isinstance((f.get("proposed") or {}).get("tags"), str):
            f["proposed"]["tags"] = vocab.tags(f["proposed"]["tags"])
    return visit


class VisitScreen(GridScreen):
    GLOBAL_KEYS = False  # no jumping to other screens from a half-filled form

    BINDINGS = [
        Binding("ctrl+s", "save", "ui.key.save"),
        Binding("ctrl+n", "save(True)", "ui.key.save_next"),
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("1", "add(1)", "ui.key.add_finding", key_display="1-7"),
        *(Binding(str(n), f"add({n})", show=False) for n in range(2, len(model.ROLES) + 1)),
        Binding("ctrl+r", "remove", "ui.key.remove_finding"),
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    def __init__(self, hid: str, detail: dict, has_next: bool = False, group: list[str] | None = None) -> None:
        super().__init__()
        self.hid = hid
        self.detail = detail
        self.has_next = has_next and not group
        self.group = group  # several households, one visit each with what this form holds

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield _row(t("ui.f.mode"), ChoiceBar([(m, name("mode", m)) for m in model.MODES], "door", id="mode"))
            yield _row(t("ui.f.outcome"), ChoiceBar([(o, name("outcome", o)) for o in model.OUTCOMES], "met",
                                                    id="outcome"))
            yield _row(t("ui.f.note"), field(t("ui.ph.note"), id="note"))
            roles = "  ".join(t("ui.visit.role_item", n=i, role=name("role", r)) for i, r in enumerate(model.ROLES, 1))
            yield Static(t("ui.visit.roles_hint", roles=roles), id="roles-hint")
        yield Static("", id="error", classes="error")

    def on_mount(self) -> None:
        h = self.detail
        if self.group:
            self.set_title((t("ui.title.visit"), "bold"), "  ", h.get("building_name", ""), "  ",
                           (t("ui.visit.group", n=len(self.group)), "bold reverse"))
        else:
            self.set_title((t("ui.title.visit"), "bold"), "  ", h.get("building_name", ""), " ",
                           t("ui.household.place", unit=h.get("unit") or "-", floor=h.get("floor") or "-",
                             room=h.get("room") or "-"), "  ", head_text(h.get("head", "")))
        self.query_one("#mode").focus()

    def findings(self) -> list[FindingForm]:
        return list(self.query(FindingForm))

    def value(self) -> dict:
        return {
            "household": self.hid,
            "mode": self.query_one("#mode", ChoiceBar).value,
            "outcome": self.query_one("#outcome", ChoiceBar).value,
            "note": self.query_one("#note", Input).value,
            "findings": [f.value() for f in self.findings()],
        }

    def is_dirty(self) -> bool:
        v = self.value()
        return bool(v["findings"] or v["note"].strip() or v["mode"] != "door" or v["outcome"] != "met")

    # --- keys -----------------------------------------------------------------------------------

    async def action_add(self, number: int) -> None:
        form = FindingForm(model.role_by_number(number), len(self.findings()) + 1, self.store.today())
        await self.query_one("#form").mount(form)
        form.query_one(".category").focus()
        form.scroll_visible(animate=False)

    def action_remove(self) -> None:
        focused = self.focused
        form = next((a for a in (focused.ancestors_with_self if focused else ()) if isinstance(a, FindingForm)),
                    None)
        if form is None:
            return
        form.remove()
        self.query_one("#mode").focus()
        for i, f in enumerate((f for f in self.findings() if f is not form), 1):
            f.renumber(i)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_choice_bar_submitted(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self.focus_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and parameters == (True,):
            return self.has_next  # the last door of the list: plain save only
        return True

    def action_save(self, next_door: bool = False) -> None:
        try:
            value = read_tags(self.value())
            if self.group:
                self.store.record_visits([{**value, "household": hid} for hid in self.group])
            else:
                self.store.record_visit(value)
        except (model.ValidationError, OSError) as err:
            self.query_one("#error", Static).update(Content(error_text(err)))  # may quote what was typed
            return
        self.app.close_form(self, "next" if next_door else "saved",  # type: ignore[attr-defined]
                            t("ui.visit.saved_group", n=len(self.group)) if self.group else t("ui.visit.saved"))

    def action_cancel(self) -> None:
        if not self.is_dirty():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal(t("ui.visit.discard_q")), answered)
