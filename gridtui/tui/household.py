"""One household: its facts (personal data masked unless revealed), visits and findings."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from .. import model, views
from ..i18n import cat_name, name, t
from ..render import corrections
from .base import GridScreen
from .widgets import WARN, SettledScroll, SettledStatic, head_text, tags_text


class HouseholdScreen(GridScreen):
    BINDINGS = [
        Binding("v", "visit", "ui.key.visit"),
        Binding("n", "walk(1)", "ui.key.next_door"),
        Binding("p", "walk(-1)", "ui.key.prev_door", show=False),
        Binding("r", "reveal", "ui.key.reveal"),
        Binding("e", "edit", "ui.key.edit"),
        Binding("escape", "app.pop_screen", "ui.key.back"),
    ]

    def __init__(self, hid: str, walk: list[str] | None = None, moved: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.hid = hid
        self.walk = walk or [hid]  # the list the worker came from, in walk order
        self.moved = moved  # tells the list's screen where the worker is now
        self.reveal = False
        self.detail: dict = {}

    def next_door(self, step: int = 1) -> str | None:
        if self.hid not in self.walk:
            return None
        at = self.walk.index(self.hid) + step
        return self.walk[at] if 0 <= at < len(self.walk) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "walk":
            return self.next_door(parameters[0]) is not None  # type: ignore[arg-type]
        return True

    def action_walk(self, step: int) -> None:
        hid = self.next_door(step)
        if hid is None:
            self.notify(t("ui.walk.last" if step > 0 else "ui.walk.first"))
            return
        self.hid = hid
        self.reveal = False  # a new door: the last one's names go back under the mask
        self.refresh_data()
        self.refresh_bindings()
        if self.moved:
            self.moved(hid)

    def compose_body(self) -> ComposeResult:
        yield Static(id="facts")
        with SettledScroll(id="history-scroll", can_focus=True):
            yield SettledStatic(id="history")

    def on_mount(self) -> None:
        self.query_one("#history-scroll").focus()

    def refresh_data(self) -> None:
        self.detail = views.household_detail(self.store.state, self.hid, self.store.today())
        self.show()

    def show(self) -> None:
        h = self.detail
        self.set_title((h["building_name"], "bold"), "  ",
                       t("ui.household.place", unit=h.get("unit") or "-", floor=h.get("floor") or "-",
                         room=h.get("room") or "-"))
        self.query_one("#facts", Static).update(facts(h, self.reveal))
        self.query_one("#history", Static).update(history(h, self.reveal))

    def action_reveal(self) -> None:
        if self.reveal or not getattr(self.app, "reveal_needs_pin", False):
            self.reveal = not self.reveal
            self.show()
            return
        from .lock import PinScreen

        def answered(right: bool | None) -> None:  # after a lock, names only with the PIN again
            if right:
                self.app.reveal_needs_pin = False  # type: ignore[attr-defined]
                self.reveal = True
                self.show()

        self.app.push_screen(PinScreen(t("ui.lock.reveal"), can_cancel=True), answered)

    def action_visit(self) -> None:
        from .visit import VisitScreen

        self.app.push_screen(VisitScreen(self.hid, self.detail, has_next=self.next_door() is not None),
                             self._visited)

    def action_edit(self) -> None:
        """Pick a visit or finding of this household, newest first, and correct it (or void the visit)."""
        from .base import PickModal

        choices = []
        for v in self.detail["visits"]:
            if v["void"]:
                continue
            choices.append((f"visit:{v['id']}", t("ui.edit.visit_choice", at=_when(v.get("at")),
                                                  what=f"{name('mode', v.get('mode'))} · {name('outcome', v.get('outcome'))}")))
            choices += [(f"finding:{f['id']}", t("ui.edit.finding_choice", what=f"{name('role', f['role'])} · "
                                                                               f"{cat_name(f['role'], f['category'])} · {f['asked']}"))
                        for f in v["findings"]]
        if not choices:
            self.notify(t("ui.edit.nothing"))
            return

        def picked(choice: str | None) -> None:
            if choice:
                kind, _, eid = choice.partition(":")
                self._edit_visit(eid) if kind == "visit" else self._edit_finding(eid)

        self.app.push_screen(PickModal(t("ui.edit.pick"), choices), picked)

    def _edit_visit(self, vid: str) -> None:
        from .base import FormModal

        v = next(x for x in self.detail["visits"] if x["id"] == vid)
        fields = [("mode", t("ui.f.mode"), [(m, name("mode", m)) for m in model.MODES]),
                  ("outcome", t("ui.f.outcome"), [(o, name("outcome", o)) for o in model.OUTCOMES]),
                  ("note", t("ui.f.note"), "text"),
                  ("void", t("ui.f.void"), [(False, t("ui.no")), (True, t("ui.edit.void_yes"))])]

        def apply(data: dict) -> None:
            if data.pop("void"):
                self.store.void_visit(vid)
            else:
                self.store.correct_visit(vid, data)

        self._correct(FormModal(t("ui.edit.visit_title", at=_when(v.get("at"))), fields, apply,
                                {**v, "void": False}))

    def _edit_finding(self, fid: str) -> None:
        from .base import FormModal

        f = next(x for v in self.detail["visits"] for x in v["findings"] if x["id"] == fid)
        role = f["role"]
        fields = [("category", t("ui.f.category"), [(c, cat_name(role, c)) for c in model.CATEGORIES[role]]),
                  ("asked", t("ui.f.asked"), "text"), ("action", t("ui.f.action"), "text"),
                  ("triage", t("ui.f.triage"), [(x, name("triage", x)) for x in model.TRIAGE]),
                  ("due", t("ui.f.due"), "text")]
        self._correct(FormModal(t("ui.edit.finding_title", what=f"{name('role', role)} · {f['asked']}"), fields,
                                lambda data: self.store.correct_finding(fid, data), f))

    def _correct(self, form) -> None:  # noqa: ANN001 - a FormModal
        def done(saved: bool | None) -> None:
            if saved:
                self.data_changed()
                self.notify(t("ui.edit.saved"))

        self.app.push_screen(form, done)

    def _visited(self, outcome: str | None) -> None:
        if outcome == "next":  # saved with "save and next door"
            self.action_walk(1)


def _phone(phone: str | None, reveal: bool) -> str:
    if not phone:
        return "-"
    return phone if reveal else model.mask_phone(phone)


def facts(h: dict, reveal: bool) -> Content:
    idn = h.get("id_number")
    parts: list = [
        (t("ui.f.head"), "dim"), " ", (head_text(h.get("head", ""), reveal) or "-", "bold"), "   ",
        (t("ui.f.phone"), "dim"), " ", _phone(h.get("phone"), reveal), "   ",
        (t("ui.f.id_number"), "dim"), " ", (idn if reveal else model.mask_id_number(idn)) if idn else "-", "\n",
        (t("ui.f.people"), "dim"), " ", str(h.get("people", "-")), "   ",
        (t("ui.f.interval"), "dim"), " ", t("ui.days", n=h["interval_days"]), "   ",
        (t("ui.f.tags"), "dim"), " ", tags_text(h["tags"]) or "-",
    ]
    if h.get("moved_out"):
        parts += ["   ", (name("fact", "moved_out"), "bold reverse")]
    parts += ["\n", (t("ui.revealed") if reveal else t("ui.masked"), "dim italic")]
    return Content.assemble(*parts)


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def _proposal(p: dict, reveal: bool) -> str:
    out = []
    for k, v in p.items():
        if k == "phone":
            v = _phone(v, reveal)
        elif k == "moved_out":
            v = t("ui.yes") if v else t("ui.no")
        elif k == "tags":
            v = tags_text(v) or "-"
        elif k == "new":
            out.append(t("proposal.new_household"))
            continue
        out.append(f"{name('fact', k)} {v}")
    return " · ".join(out)


def finding_lines(f: dict, reveal: bool) -> list:
    """A finding with its status history, as Content parts (a few lines, indented)."""
    status = (name("status", f["status"]), "bold reverse" if f["status"] in model.OPEN_STATUSES else "bold")
    parts: list = ["\n  ● ", (f"{name('role', f['role'])} · {cat_name(f['role'], f['category'])}", "bold"),
                   "  ", status, "  ", name("triage", f["triage"])]
    if f.get("due"):
        parts += ["  ", t("ui.due_on", date=f["due"])]
    if f.get("overdue"):
        parts += [" ", (t("ui.overdue_days", n=f["days_overdue"]), WARN)]
    parts += ["\n    ", (t("ui.f.asked"), "dim"), " ", f["asked"]]
    if f.get("action"):
        parts += ["\n    ", (t("ui.f.action"), "dim"), " ", f["action"]]
    if f.get("proposed"):
        outcome = f.get("proposal") or ("pending" if f["status"] in model.OPEN_STATUSES else "")
        parts += ["\n    ", (t("ui.f.proposed"), "dim"), " ", _proposal(f["proposed"], reveal)]
        if outcome:
            parts += ["  ", (name("ui.proposal", outcome), "bold" if outcome == "pending" else "bold reverse")]
    for e in f.get("history", ()):
        if e.get("corrected"):
            parts += [f"\n    └ {(e.get('changed') or '')[:10]} ", (t("ui.corrected_by", by=e.get("by", "")), "bold"),
                      " ", corrections(e, f["role"])]
            continue
        line = [f"\n    └ {(e.get('changed') or '')[:10]} ", (name("status", e.get("status")), "bold")]
        if e.get("proposal"):
            line += [" · ", name("ui.proposal", e["proposal"])]
        if e.get("to"):
            line += [" → ", e["to"]]
        if e.get("note"):
            line += [" · ", e["note"]]
        if e.get("satisfaction"):
            line += [" · ", t("ui.satisfaction_is", s=name("satisfaction", e["satisfaction"]))]
        parts += line
    return parts


def history(h: dict, reveal: bool) -> Content:
    visits = h["visits"]
    parts: list = [(t("ui.household.visits", n=len(visits)), "bold underline")]
    if not visits:
        parts += ["\n", t("ui.household.no_visits")]
    for v in visits:
        style = "dim strike" if v.get("void") else ""
        parts += ["\n", (_when(v.get("at")), f"bold {style}".strip()), "  ",
                  (f"{name('mode', v.get('mode'))} · {name('outcome', v.get('outcome'))}", style)]
        if v.get("worker"):
            parts += ["  ", (v["worker"], "dim")]
        if v.get("void"):
            parts += ["  ", (t("ui.void"), "bold reverse")]
        if v.get("note"):
            parts += ["\n  ", (v["note"], style)]
        for e in v.get("history", ()):
            if e.get("corrected"):
                parts += [f"\n  └ {(e.get('changed') or '')[:10]} ", (t("ui.corrected_by", by=e.get("by", "")), "bold"),
                          " ", corrections(e)]
        for f in v["findings"]:
            parts += finding_lines(f, reveal)
    return Content.assemble(*parts)
