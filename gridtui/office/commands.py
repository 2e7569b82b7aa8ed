"""What the office's commands do, without click: init, enroll, publish, merge, findings, resolve.

Each function opens the office store, does one job and closes it; the CLI only prints results.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import UserError
from .. import crypto, duplicates, i18n, ids, model, rosterdiff, views
from ..events import Conflict
from ..home import office_store
from ..roster import roster_events
from ..store import Store, gc_paused, local_now
from .. import safefs
from ..sync import envelope, folder
from ..sync.merge import Flag, Incoming, Office, Skipped, merge
from ..vault import Unlock
from .ledger import Ledger
from .outbox import OfficeStore
from . import outbox
from .roster_csv import load_roster


class OfficeError(UserError):
    """A usage or setup problem."""


def open_office(home: Path, unlock: Unlock | None, **kw) -> Store:
    """The office store; ``readonly=True`` for what only reads (it runs beside a merge or a publish)."""
    folder = office_store(home)
    if not Store.exists(folder):
        raise OfficeError("office.not_init")
    return OfficeStore.open(folder, unlock=unlock, **kw)


require_shared = folder.require


# --- init and enroll -----------------------------------------------------------------------------


def init(home: Path, roster_path: Path | None, new_pin: Callable[[], str], demo: bool = False,
         today: dt.date | None = None) -> dict:
    """Create the office store from a roster, encrypted under a PIN asked once the roster is read.

    ``demo``: from the demo data instead, its dates moved so that its last day is ``today`` (as
    ``gridtui demo`` does for a worker): every default report shows the demo's three months.
    """
    folder = office_store(home)
    if Store.exists(folder):
        raise OfficeError("office.already_init", path=folder)
    if demo:
        from ..demo import load_demo_data

        data = load_demo_data()
        shift = ((today or local_now().date()) - dt.date.fromisoformat(data["as_of"])).days
    else:
        data, shift = load_roster(roster_path), 0
    events = roster_events(data, shift_days=shift)
    meta = {"office": True, "community": data.get("community", {}).get("name", "")}
    with Store.create(folder, meta, events, pin=new_pin()) as store:
        office_box(store)
        outbox.rebuild(store)
        ents = store.state.entities
        counts = {k: len(ents[k]) for k in ("grid", "building", "household", "visit", "finding")}
        return {**counts, "duplicates": duplicates.in_ledger(store.state)}


# --- the roster, kept true --------------------------------------------------------------------------


@dataclass
class RosterImport:
    diff: rosterdiff.Diff
    duplicates: list[dict]  # in the ledger as the new roster would leave it
    applied: bool
    names: dict[str, dict]  # household id → its record (as it is, or will be): for the listing
    buildings: dict[str, dict]


def roster_import(home: Path, roster_path: Path, apply: bool, unlock: Unlock | None = None) -> RosterImport:
    """What a new roster changes (nothing, unless ``apply``): new, changed, moved-out households."""
    data = load_roster(roster_path)
    with open_office(home, unlock, readonly=not apply) as store:
        diff = rosterdiff.diff(store.state, data)
        drafts = rosterdiff.changes(diff, store.now_iso())
        names = {**store.state.entities["household"], **{h["id"]: h for h in diff.new}}
        buildings = {**store.state.entities["building"], **{b["id"]: b for b in diff.buildings}}
        if apply and drafts:
            store.append([store.new_event(kind, eid, op, fields) for kind, eid, op, fields in drafts])
            dupes = duplicates.in_ledger(store.state)
        else:
            dupes = _duplicates_after(store, drafts)
        return RosterImport(diff, dupes, apply and bool(drafts), names, buildings)


def _duplicates_after(store: Store, drafts: list[tuple[str, str, str, dict]]) -> list[dict]:
    """The duplicates the ledger would hold with these changes, found without writing them."""
    ents = store.state.entities
    households = {hid: dict(h) for hid, h in ents["household"].items()}
    buildings = dict(ents["building"])
    compounds = dict(ents["compound"])
    for kind, eid, op, fields in drafts:
        table = {"household": households, "building": buildings, "compound": compounds}.get(kind)
        if table is not None:
            table[eid] = {**table.get(eid, {}), **fields, "id": eid}
    return duplicates.find(list(households.values()), buildings, compounds)


def ledger_duplicates(home: Path, unlock: Unlock | None = None) -> tuple[list[dict], dict[str, dict], dict[str, dict]]:
    """Households that look like the same people twice, with the household and building records."""
    with open_office(home, unlock, readonly=True) as store:
        ents = store.state.entities
        return duplicates.in_ledger(store.state), dict(ents["household"]), dict(ents["building"])


def office_box(store: Store) -> tuple[bytes, bytes]:
    """The office's X25519 key pair (private, public), kept in its sealed meta; made on first need, so
    an office store from before sync/3 gets one at its next publish or merge."""
    if not store.meta.get("box_private"):
        private, public = crypto.new_box_key()
        store.update_meta(box_private=base64.b64encode(private).decode(), box_public=base64.b64encode(public).decode())
    return base64.b64decode(store.meta["box_private"]), base64.b64decode(store.meta["box_public"])


def _v2_until_ms() -> int:
    until = dt.datetime.combine(dt.date.fromisoformat(envelope.V2_UNTIL), dt.time(23, 59, 59)).astimezone()
    return int(until.timestamp() * 1000)


def enroll(home: Path, worker: str, name: str, grid: str, unlock: Unlock | None = None,
           note: Callable[[str], None] = lambda _: None) -> str | None:
    """Enroll a worker and return their new key; a disabled one is restored with a new key. An
    enrolled worker given another grid is moved and keeps their key (None is returned); enrolling
    one again on the same grid is refused — a new key is what ``rekey`` is for, and it says so.
    A name other than the roster's is taken (names get corrected) but ``note``d: it may be a slip."""
    with open_office(home, unlock) as store:
        if grid not in store.state.entities["grid"]:
            raise OfficeError("office.unknown_grid", grid=grid, known=" ".join(sorted(store.state.entities["grid"])))
        listed = store.state.entities["worker"].get(worker, {}).get("name")
        if listed and listed != name.strip():
            note(i18n.t("office.name_differs", worker=worker, listed=listed, name=name))
        with Ledger.open(store) as ledger:
            known = ledger.workers().get(worker)
            if known is not None and known.enabled and known.grid == grid:
                raise OfficeError("office.already_enrolled", worker=worker, grid=grid)
            fields = {"name": name, "grid": grid}
            op = "set" if worker in store.state.entities["worker"] else "create"
            store.append([store.new_event("worker", worker, op, fields)])
            if known is not None and known.enabled:
                ledger.move(worker, name, grid)
                return None
            return ledger.enroll(worker, name, grid)


def disable(home: Path, worker: str, shared: Path | None = None, unlock: Unlock | None = None) -> bool:
    """Refuse the worker's files from now on and issue them nothing more.

    With ``shared``, their last grid file is taken out of the shared folder at once (``publish``
    also does it); returns whether there was one.
    """
    shared = require_shared(shared) if shared is not None else None  # a wrong folder changes nothing
    with open_office(home, unlock, load=False) as store, Ledger.open(store) as ledger:
        if not ledger.set_enabled(worker, False):
            raise OfficeError("office.unknown_worker", worker=worker)
        info = ledger.workers()[worker]
        return _withdraw(shared, info, store.now_iso()) if shared is not None else False


def rekey(home: Path, worker: str, unlock: Unlock | None = None) -> tuple[str, bool]:
    """A new key for ``worker`` (a lost laptop): files sealed with the old one are refused from now on.

    Returns the key and whether the worker is enabled (a disabled worker stays disabled).
    """
    with open_office(home, unlock, load=False) as store, Ledger.open(store) as ledger:
        key = ledger.rekey(worker)
        if key is None:
            raise OfficeError("office.unknown_worker", worker=worker)
        return key, ledger.workers()[worker].enabled


def sensitive_exports(home: Path, unlock: Unlock | None = None) -> list[dict]:
    with open_office(home, unlock, load=False, readonly=True) as store, Ledger.open(store) as ledger:
        return ledger.exports()


def _withdraw(shared: Path, w, now: str) -> bool:  # noqa: ANN001 - sync.merge.WorkerInfo
    """Take a disabled worker's grid out of the shared folder, leaving in its place a notice that
    only their laptop can open and that holds no resident: so it can say so, not just go quiet."""
    had = folder.to_worker(shared, w.id).exists()
    folder.write(shared, folder.to_worker(shared, w.id), envelope.seal_to_worker(w.id, now, [], w.key, status="disabled"))
    return had


# --- publish ------------------------------------------------------------------------------------


def publish(home: Path, shared: Path, unlock: Unlock | None = None) -> list[tuple[str, int]]:
    """Seal each enabled worker's grid for them; a disabled worker's old file is taken away.

    Each grid's events come from the outbox the office's writes keep (see :mod:`.outbox`), or, if
    it does not match the log, from the log folded again (which writes the outbox anew)."""
    shared = require_shared(shared)
    with open_office(home, unlock, lasting=False, load=False) as store:
        with Ledger.open(store) as ledger:
            workers = ledger.workers()
        if not workers:
            raise OfficeError("office.no_workers")
        office_key = base64.b64encode(office_box(store)[1]).decode()  # laptops seal what they send to it
        box = outbox.read(store)
        if box is None:
            store.load()
            box = outbox.rebuild(store)
        elif box.chunks > 4 * len(box.grids) + 64:
            outbox.compact(store, box)
        out = []
        listed, n, listed_grid = b"", 0, object()
        # A grid at a time (its workers one after another), so only one grid's events are in memory.
        for w in sorted(workers.values(), key=lambda w: (str(w.grid), w.id)):
            if not w.enabled:
                _withdraw(shared, w, store.now_iso())
                continue
            # Workers need names and phones at the door, never full ID numbers: the outbox holds none.
            if w.grid != listed_grid:
                listed, n, listed_grid = *box.listed(w.grid), w.grid
            data = envelope.seal_to_worker(w.id, store.now_iso(), listed, w.key, ack=box.acks.get(w.id, {}),
                                           office_key=office_key)
            folder.write(shared, folder.to_worker(shared, w.id), data)
            for old in w.retired:  # a laptop left with a replaced key is told so, not left guessing
                folder.write(shared, folder.key_notice(shared, w.id, old),
                             envelope.seal_to_worker(w.id, store.now_iso(), [], old, status="rekeyed"))
            out.append((w.id, n))
        return sorted(out)


# --- merge --------------------------------------------------------------------------------------


@dataclass
class MergeReport:
    taken: list[str] = field(default_factory=list)
    unchanged: int = 0
    new_events: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    recovered: bool = False  # the store had lost events, and every file was read again


# Bookkeeping fields that change with every edit; a clash on them alone is not worth a line.
_QUIET_FIELDS = frozenset({"changed", "at", "corrected"})


def clashes(conflicts) -> list[Conflict]:  # noqa: ANN001 - iterable of Conflict
    """One conflict per pair of edits that did not see each other, naming the fields they both set."""
    out: dict[tuple, Conflict] = {}
    for c in conflicts:
        if c.field in _QUIET_FIELDS:
            continue
        key = (c.kind, c.eid, c.kept["id"], c.other["id"])
        if key in out:
            had = out[key]
            had.field += f", {c.field}"
            had.other = {**had.other, "data": {**had.other["data"], **c.other["data"]}}  # each names its own field
        else:
            out[key] = Conflict(c.kind, c.eid, c.field, c.kept, c.other)
    return list(out.values())


def merge_folder(
    home: Path,
    shared: Path,
    progress: Callable[[int], None] | None = None,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    unlock: Unlock | None = None,
) -> MergeReport:
    shared = require_shared(shared)
    report = MergeReport()
    found = folder.scan(shared)
    report.skipped = [Skipped(name, reason, retry=retry) for name, reason, retry in found.skipped]
    with open_office(home, unlock, load=False) as store:
        ledger = Ledger.open(store)
        try:
            # After a loss the office's copy of a file may have lost what the file holds: read them all.
            done = set() if store.loss else ledger.merged_digests()
            # A first look only hashes, file by file, so an unchanged folder merges without loading
            # the store; what changed is read again when the merge reaches it. With nothing merged
            # yet no file can be unchanged: none is read twice.
            changed = [] if done else list(found.files)
            for f in found.files if done else ():
                try:
                    digest = hashlib.sha256(folder.read(f.path)).hexdigest()
                except (safefs.Unreadable, FileNotFoundError) as exc:
                    report.skipped.append(_unreadable(f.name, exc))
                    if progress:
                        progress(1)
                    continue
                if digest in done:
                    report.unchanged += 1
                    if progress:
                        progress(1)
                else:
                    changed.append(f)
            if not changed:
                return report
            store.load()
            office = Office({e["id"]: e for e in store.iter_events()}, store.state.entities, views.grid_households(store.state),
                            box_private=office_box(store)[0], device_keys=ledger.device_keys(),
                            v2_until_ms=_v2_until_ms())

            def incoming():
                for f in changed:
                    try:
                        raw = folder.read(f.path)
                    except (safefs.Unreadable, FileNotFoundError) as exc:
                        report.skipped.append(_unreadable(f.name, exc))
                        continue
                    finally:
                        if progress:
                            progress(1)
                    digest = hashlib.sha256(raw).hexdigest()
                    opened = envelope.parse(raw)
                    del raw  # the envelope holds the sealed text (a view of these bytes) until it is opened
                    yield Incoming(f.name, f.worker, opened, digest)

            with gc_paused():
                result = merge(office, incoming(), ledger.workers(), now_ms(), consume=True)
            # Receipts, then events, then the files' hashes: a merge cut short anywhere only means
            # the files are read again next time, and the set union makes that harmless.
            now = store.now_iso()
            ledger.record_receipts(result.received, now)
            store.append(result.new_events, result.encoded, let_go=True)  # what follows reads their ids alone
            ledger.bind_devices(result.device_keys, now)
            ledger.record_digests(result.digests, now)
            report.recovered = store.loss is not None
            store.clear_loss()
        finally:
            ledger.close()
        new_ids = {e["id"] for e in result.new_events}
        report.conflicts = clashes(c for c in store.state.conflicts if c.kept["id"] in new_ids or c.other["id"] in new_ids)
        report.taken = result.taken
        report.new_events = len(result.new_events)
        report.skipped += result.skipped
        report.flags = result.flags
        del office, result, new_ids  # the events, let go before the store writes its snapshot on close
    return report


def _unreadable(name: str, exc: Exception) -> Skipped:
    if isinstance(exc, safefs.Unreadable):
        return Skipped(name, exc.reason, dict(exc.args_), retry=exc.reason == "sync.truncated")
    return Skipped(name, "sync.truncated", retry=True)  # vanished mid-scan: retry next time


# --- findings ------------------------------------------------------------------------------------


def findings(home: Path, status: str | None, role: str | None, grid: str | None, overdue: bool,
             today: dt.date | None = None, unlock: Unlock | None = None) -> list[dict]:
    with open_office(home, unlock, readonly=True) as store:
        today = today or local_now().date()
        rows = views.all_findings(store.state, today, role=role, grid=grid)
        shown = ids.short_ids(store.state.entities["finding"])
    for r in rows:
        r["short"] = shown[r["id"]]
    if status:
        rows = [r for r in rows if r["status"] == status]
    if overdue:
        rows = [r for r in rows if r["overdue"]]
    return rows


DONE = ("resolved", "closed")


def change_finding(home: Path, fid: str, status: str, note: str = "", to: str | None = None,
                   satisfaction: str | None = None, reopen: bool = False,
                   unlock: Unlock | None = None, new_unit: Callable[[str], bool] | None = None) -> tuple[str, bool]:
    """Move a finding on, named by its id, a start of it or its short id.

    Returns the short id and whether anything changed: a finding already in that status (resolved
    twice, say) gets no second history line. A finding that is done is referred again only with
    ``reopen``: sending a closed case to a department is a decision, not a slip of the finger.
    Given ``new_unit``, a referral goes only to a unit of the office's list; a name not on it is put
    on it if ``new_unit(name)`` says so, else refused (the scorecard counts by name: a typo would
    start a unit of its own).
    """
    with open_office(home, unlock) as store:
        found = store.state.entities["finding"]
        fid, shown = ids.resolve_shown(fid, found, i18n.t("kind.finding"), i18n.t("ids.hint.office_findings"))
        current = found[fid].get("status")
        if current == status and status != "referred" and satisfaction in (None, found[fid].get("satisfaction")):
            return shown, False
        if current in DONE and status not in DONE and not reopen:
            raise OfficeError("office.needs_reopen", id=shown, status=i18n.name("status", current))
        if status == "referred" and new_unit is not None:
            _listed_unit(store, model.clean_text(to, "unit"), new_unit)
        store.set_finding_status(fid, status, note, satisfaction=satisfaction, to=to)
        return shown, True


def _listed_unit(store: Store, unit: str, new_unit: Callable[[str], bool]) -> None:
    with Ledger.open(store) as ledger:
        known = ledger.units()
        if not unit or unit in known:
            return
        if not new_unit(unit):
            raise OfficeError("units.unknown", unit=unit,
                              known=i18n.t("ui.list_sep").join(known) or i18n.t("units.empty"))
        ledger.add_units([unit], store.now_iso())


def change_wish(home: Path, wid: str, state: str, claimed_by: str | None = None, note: str = "",
                unlock: Unlock | None = None) -> tuple[str, bool]:
    """Claim or fulfil a micro-wish (fulfilling resolves its finding); returns its short id and
    whether anything changed (a wish fulfilled already stays as it is)."""
    with open_office(home, unlock) as store:
        wishes = store.state.entities["wish"]
        wid, shown = ids.resolve_shown(wid, wishes, i18n.t("kind.wish"), i18n.t("ids.hint.office_wishes"))
        current = wishes[wid].get("state")
        if current == "fulfilled" or (current == state and state != "claimed"):
            return shown, False
        store.set_wish_state(wid, state, claimed_by=claimed_by, note=note)
        return shown, True


def wishes(home: Path, unlock: Unlock | None = None) -> list[dict]:
    """Every micro-wish in the community, with the short ids claim and fulfil take."""
    with open_office(home, unlock, readonly=True) as store:
        rows = views.wishes(store.state)
        shown = ids.short_ids(store.state.entities["wish"])
    for r in rows:
        r["short"] = shown[r["id"]]
    return rows



# --- the 数据员's proposals ------------------------------------------------------------------------


def proposals(home: Path, grid: str | None = None, pending_only: bool = True, unlock: Unlock | None = None) -> list[dict]:
    with open_office(home, unlock, readonly=True) as store:
        rows = views.proposals(store.state, grid, pending_only)
        shown = ids.short_ids(store.state.entities["finding"])
    for r in rows:
        r["finding"] = r["id"]
        r["id"] = shown[r["id"]]
    return rows


def decide_proposal(home: Path, fid: str, accept: bool, note: str = "", unlock: Unlock | None = None) -> str:
    """Accept a proposal (the household changes, as an office event, and the finding is resolved) or
    reject it (the finding is closed, nothing else changes); the worker sees which after a sync."""
    with open_office(home, unlock) as store:
        found = store.state.entities["finding"]
        fid, shown = ids.resolve_shown(fid, found, i18n.t("kind.proposal"), i18n.t("ids.hint.office_proposals"))
        f = found[fid]
        if not f.get("proposed"):
            raise OfficeError("office.not_a_proposal", id=shown)
        if not views.proposal_pending(f):
            raise OfficeError("office.proposal_decided", id=shown,
                              outcome=i18n.name("proposal", f.get("proposal") or "") or i18n.name("status", f["status"]))
        now = store.now_iso()
        status = "resolved" if accept else "closed"
        events = []
        if f["proposed"].get("new"):  # a household found at a door: confirmed, or taken off the rounds
            outcome = {"proposed": False} if accept else {"proposed": False, "moved_out": True}
            events.append(store.new_event("household", f["household"], "set", {**outcome, "changed": now}))
        elif accept:
            events.append(store.new_event("household", f["household"], "set", {**f["proposed"], "changed": now}))
        change = model.validate_status_change(status, note, None, None)
        events.append(store.new_event("finding", fid, "set", {
            **change, "proposal": "accepted" if accept else "rejected", "changed": now}))
        store.append(events)
        return shown


# --- referral units ------------------------------------------------------------------------------


def units(home: Path, unlock: Unlock | None = None) -> list[str]:
    """The office's list of units findings are referred to."""
    with open_office(home, unlock, load=False, readonly=True) as store, Ledger.open(store) as ledger:
        return ledger.units()


def add_units(home: Path, names: list[str], unlock: Unlock | None = None) -> list[str]:
    """Put units on the list (names cleaned as a referral's ``to`` is); returns those new to it."""
    clean = [model.clean_text(n, "unit") for n in names]
    if not all(clean):
        raise model.ValidationError("err.refer_needs_unit")
    with open_office(home, unlock, load=False) as store, Ledger.open(store) as ledger:
        return ledger.add_units(clean, store.now_iso())


def referrals(home: Path, since: dt.date, until: dt.date, unlock: Unlock | None = None) -> list[dict]:
    """The referral units' scorecard (see :func:`gridtui.report.referrals`), every listed unit in it."""
    from .. import report

    with gc_paused(), open_office(home, unlock, readonly=True) as store, Ledger.open(store) as ledger:
        return report.referrals(store.state, since, until, ledger.units())


# --- 一社区一年10件实事 ----------------------------------------------------------------------------

FOLLOW_UP_DAYS = 7  # a project done: the worker goes back to ask within a week


def propose_projects(home: Path, since: dt.date, until: dt.date, top: int = 10,
                     unlock: Unlock | None = None) -> list[dict]:
    """Candidate projects from the ranked needs (office needs): one per need that has none yet
    (a dropped one does not count), naming every household that asked. Returns the new ones."""
    from .. import report

    with open_office(home, unlock) as store:
        state = store.state
        taken = {(p.get("role"), p.get("category")) for p in report.projects(state) if p["state"] != "dropped"}
        events, made = [], []
        for need in report.needs(state, since, until, top=top):
            if (need["role"], need["category"]) in taken:
                continue
            example = need["examples"][0] if need["examples"] else ""
            title = f"{i18n.name('role', need['role'])}·{i18n.cat_name(need['role'], need['category'])}" + (
                f"：{example}" if example else "")
            households = report.need_households(state, since, until, need["role"], need["category"])
            pid = store.new_id("P")
            events.append(store.new_event("project", pid, "create", {
                "title": model.clean_text(title, "asked"), "role": need["role"], "category": need["category"],
                "households": households[:model.MAX_PROJECT_HOUSEHOLDS], "state": "candidate",
                "at": store.now_iso()}))
            made.append(pid)
        store.append(events)
        rows = {r["id"]: r for r in report.projects(store.state)}
        shown = ids.short_ids(store.state.entities["project"])
        return [{**rows[p], "short": shown[p]} for p in made]


def list_projects(home: Path, everything: bool = True, unlock: Unlock | None = None) -> list[dict]:
    from .. import report

    with open_office(home, unlock, readonly=True) as store:
        shown = ids.short_ids(store.state.entities["project"])
        return [{**r, "short": shown[r["id"]]} for r in report.projects(store.state, everything=everything)]


_PROJECT_MOVES = {"adopted": ("candidate",), "in_progress": ("adopted", "in_progress"),
                  "done": ("adopted", "in_progress"), "dropped": ("candidate", "adopted", "in_progress")}


def change_project(home: Path, pid: str, state: str, note: str = "", progress: int | None = None,
                   unlock: Unlock | None = None) -> tuple[str, list[str]]:
    """Move a project on (adopt, progress, done, drop); returns its short id and, when it is done,
    the follow-up findings made: one for every household that asked, so its worker goes back and
    asks (回访) whether it helped."""
    from .. import report

    with open_office(home, unlock) as store:
        projects = store.state.entities["project"]
        pid, shown = ids.resolve_shown(pid, projects, i18n.t("kind.project"), i18n.t("ids.hint.office_projects"))
        current = next(r["state"] for r in report.projects(store.state) if r["id"] == pid)
        if current not in _PROJECT_MOVES[state]:
            raise OfficeError("projects.cannot_move", id=shown, state=i18n.name("project_state", current),
                              to=i18n.name("project_state", state))
        now, events, followups = store.now_iso(), [], []
        if state == "done":
            p = projects[pid]
            events, followups = _project_followups(store, p, now)
        data = {"state": state, "note": model.clean_text(note, "note"), "changed": now}
        if progress is not None:
            if not 0 <= progress <= 100:
                raise model.ValidationError("projects.bad_progress", value=progress)
            data["progress"] = progress
        elif state == "done":
            data["progress"] = 100
        if followups:
            data["followups"] = followups
        events.append(store.new_event("project", pid, "set", data))
        store.append(events)
        return shown, followups


def _project_followups(store: Store, p: dict, now: str) -> tuple[list[dict], list[str]]:
    ents = store.state.entities
    ix = views.index(store.state)
    due = (dt.date.fromisoformat(now[:10]) + dt.timedelta(days=FOLLOW_UP_DAYS)).isoformat()
    asked = model.clean_text(i18n.t("projects.followup_asked", title=p.get("title") or ""), "asked")
    events, made = [], []
    for hid in p.get("households") or ():
        h = ents["household"].get(hid)
        if h is None or h.get("moved_out"):
            continue
        # Tied to the visit where the household asked for it (newest first), as a follow-up is.
        found = [f for f in ix.findings_by_household.get(hid, ()) if f.get("role") == p.get("role")
                 and (f.get("category") or "other") == p.get("category")]
        if not found:
            continue
        origin = max(found, key=lambda f: f.get("at") or "")
        fid = store.new_id("F")
        events.append(store.new_event("finding", fid, "create", {
            "role": p["role"], "category": p["category"], "asked": asked, "action": "", "triage": "coordinate",
            "due": due, "visit": origin["visit"], "household": hid, "at": now, "status": "open"}))
        made.append(fid)
    return events, made
