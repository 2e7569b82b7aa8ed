"""The office merge: a pure function from (what the office holds, files read) to what to add.

The result is the set union of the events of every file that can be trusted, so it is the same
for any order of files and any repetition. A file that cannot be trusted is skipped whole, with
its reason, and never stops the others. Nothing here reads or writes disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from ..events import MAX_AHEAD_MS
from .envelope import FORMAT_V1, Opened, canonical, unseal

# What a worker's device may write: visits and what they find. Roster and office decisions
# (households, buildings, grids, workers) come only from the office.
WORKER_KINDS = frozenset({"visit", "finding", "wish"})
_EVENT_FIELDS = {"id": str, "t": list, "dev": str, "by": str, "kind": str, "eid": str, "op": str, "data": dict}
FUTURE_MS = MAX_AHEAD_MS  # a day ahead: more than any time-zone mistake, less than a wrong date
PAST_MS = 400 * 86_400_000


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    key: str
    grid: str
    enabled: bool = True


@dataclass
class Incoming:
    name: str  # path below to-office/, e.g. "W01/a1b2c3d4.json"
    folder_worker: str  # the <worker> folder it was found in
    opened: Opened
    digest: str = ""


@dataclass
class Skipped:
    name: str
    reason: str  # i18n key
    args: dict = field(default_factory=dict)
    retry: bool = False


@dataclass
class Flag:
    file: str
    event: dict
    reason: str  # i18n key: sync.flag_future / sync.flag_past / sync.forged_id


@dataclass
class MergeResult:
    taken: list[str] = field(default_factory=list)
    new_events: list[dict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # of taken files, to skip them next time
    received: dict[str, list[str]] = field(default_factory=dict)  # file → ids of events new from it
    old_format: list[str] = field(default_factory=list)  # taken files still in clear (gridtui-sync/1)


def _shape_ok(e: object) -> bool:
    if not isinstance(e, dict):
        return False
    if any(not isinstance(e.get(k), tp) for k, tp in _EVENT_FIELDS.items()):
        return False
    t = e["t"]
    return (len(t) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in t)
            and e["op"] in ("create", "set") and e["id"] == f"{e['dev']}.{t[0]}.{t[1]}")


def _open_file(inc: Incoming, workers: Mapping[str, WorkerInfo]) -> tuple[dict | None, Skipped | None]:
    """The file's whole content (events in clear) if its envelope can be trusted, else why not."""
    op = inc.opened
    if op.obj is None:
        return None, Skipped(inc.name, op.reason or "sync.not_json", op.args or {}, op.retry)
    obj = op.obj
    who = obj["worker"]
    if who != inc.folder_worker:
        return None, Skipped(inc.name, "sync.wrong_folder", {"worker": who, "folder": inc.folder_worker})
    info = workers.get(who)
    if info is None:
        return None, Skipped(inc.name, "sync.unknown_worker", {"worker": who})
    if not info.enabled:
        return None, Skipped(inc.name, "sync.disabled_worker", {"worker": who})
    whole, problem = unseal(obj, info.key)
    if whole is None:
        return None, Skipped(inc.name, problem or "sync.bad_signature", {"worker": who})
    return whole, None


def _event_problem(e: object, obj: dict) -> str | None:
    if not _shape_ok(e):
        return "sync.bad_event"
    if e.get("train"):
        return "sync.training"
    if e["by"] != obj["worker"] or e["dev"] != obj["device"]:
        return "sync.wrong_author"
    if e["kind"] not in WORKER_KINDS:
        return "sync.forbidden_kind"
    return None


def merge(
    known: Mapping[str, dict],
    files: Iterable[Incoming],
    workers: Mapping[str, WorkerInfo],
    grid_households: Mapping[str, set[str]],
    household_of: Callable[[str, str], str | None],
    now_ms: int,
    consume: bool = False,
) -> MergeResult:
    """Decide which events of ``files`` the office takes.

    ``known``: the office's events by id. ``grid_households``: household ids per grid.
    ``household_of(kind, eid)``: the household an existing visit/finding/wish belongs to.
    With ``consume``, ``files`` is a list the caller no longer needs: it is emptied as the files are
    opened, so each file's sealed text can be freed as soon as its events are out (~20% of the peak).
    """
    result = MergeResult()
    trusted: list[tuple[str, str, dict]] = []  # (name, digest, content): not the Incoming, which holds the sealed text
    pending = sorted(files, key=lambda i: i.name, reverse=True)
    if consume:
        files.clear()  # type: ignore[attr-defined]
    while pending:
        inc = pending.pop()
        obj, problem = _open_file(inc, workers)
        if obj is None:
            result.skipped.append(problem)
            continue
        bad = next((p for p in (_event_problem(e, obj) for e in obj["events"]) if p), None)
        if bad:
            result.skipped.append(Skipped(inc.name, bad, {"worker": obj["worker"]}))
            continue
        trusted.append((inc.name, inc.digest, obj))

    # Records created in any trusted file count as known, so a change in one file to a finding
    # created in another (the same worker's second laptop) is judged the same in any order.
    created = {(e["kind"], e["eid"]): e["data"].get("household")
               for _, _, obj in trusted for e in obj["events"] if e["op"] == "create"}

    def home_of(e: dict) -> str | None:
        if e["op"] == "create":
            return e["data"].get("household")
        return household_of(e["kind"], e["eid"]) or created.get((e["kind"], e["eid"]))

    seen: dict[str, dict] = {}
    for name, digest, obj in trusted:
        grid = workers[obj["worker"]].grid
        mine = grid_households.get(grid, set())
        # A device sends all it ever wrote: what the office already holds as it is was judged when
        # it came (a worker since moved to another grid can still send their new visits).
        outside = [e for e in obj["events"] if known.get(e["id"]) != e and home_of(e) not in mine]
        if outside:
            result.skipped.append(Skipped(name, "sync.outside_grid",
                                          {"worker": obj["worker"], "n": len(outside), "id": outside[0]["eid"]}))
            continue
        fresh = []
        for e in obj["events"]:
            first = known.get(e["id"]) or seen.get(e["id"])
            if first is not None:
                if canonical(first) != canonical(e):
                    result.flags.append(Flag(name, e, "sync.forged_id"))
                continue
            seen[e["id"]] = e
            fresh.append(e)
            if e["t"][0] - now_ms > FUTURE_MS:
                result.flags.append(Flag(name, e, "sync.flag_future"))
            elif now_ms - e["t"][0] > PAST_MS:
                result.flags.append(Flag(name, e, "sync.flag_past"))
        result.taken.append(name)
        if obj["format"] == FORMAT_V1:
            result.old_format.append(name)
        result.digests[name] = digest
        result.received[name] = [e["id"] for e in fresh]
        result.new_events.extend(fresh)
    return result
