"""What an event may hold: one check for every event, wherever it comes from. Pure: no I/O.

The app runs it on every event it writes, the office merge on every event a worker sends, a
worker's sync on every event the office sends, ``office init`` on the roster, and a store opened
after an upgrade on what older versions wrote. So whatever is in a store has passed it, and no
command meets a value it cannot read (a ``due`` that is not a date, a role nobody knows).

:func:`problem` answers with the first thing wrong (a short code, for tests and reports) or None.
It checks the shape of an event and each field's type, vocabulary, format and length; it knows
nothing of other records. Who may write which record, and links between records, are the merge's
business (:mod:`gridtui.sync.merge`), since only it sees the whole ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from . import model

# --- ids ----------------------------------------------------------------------------------------

# Record ids: roster ids (H0001, F000006) and the app's own (Fa1b2c3d4-1a2101228e72). No spaces or
# control characters, so an id can be typed back into a command and printed safely.
_ID_RE = re.compile(r"[\w.:-]{1,64}")
# Devices: the app's are 8 hex digits; demo and office devices have names of their own.
_DEVICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
# What a worker's device makes a record id from: the kind's letter, its device id, its own clock.
ID_PREFIX = {"visit": "V", "finding": "F", "wish": "M", "household": "H"}
_OWN_ID_RE = re.compile(r"([VFMH])([A-Za-z0-9_-]{1,32})-([0-9a-f]{1,32})")
OFFICE_DEVICE = "office"
MAX_COUNTER = 1 << 32
MAX_MS = 1 << 46  # year 4199: a bigger stamp is not a clock reading


def is_id(v: object) -> bool:
    return type(v) is str and _ID_RE.fullmatch(v) is not None


# The ids that come again in event after event (a file's author and device, the households its
# visits are about), each checked by its pattern once: a merge checks 200,000 events. Bounded, so
# a file of made-up ids cannot grow it: once full, ids are checked by pattern again, every time.
_SEEN_IDS: set[str] = set()
_SEEN_DEVICES: set[str] = set()
_SEEN_LIMIT = 1 << 16


def _seen_by(v: object, valid: Callable[[str], bool], seen: set[str]) -> bool:
    if type(v) is not str:
        return False
    if v in seen:
        return True
    if not valid(v):
        return False
    if len(seen) < _SEEN_LIMIT:
        seen.add(v)
    return True


def _valid_id(v: str) -> bool:
    return _ID_RE.fullmatch(v) is not None


def _valid_device(v: str) -> bool:
    return _DEVICE_RE.fullmatch(v) is not None


def is_ref(v: object) -> bool:
    """:func:`is_id` of an id that repeats (an author, a link to a household)."""
    return _seen_by(v, _valid_id, _SEEN_IDS)


def is_device(v: object) -> bool:
    return _seen_by(v, _valid_device, _SEEN_DEVICES)


def device_made(kind: str, eid: object) -> bool:
    """Whether ``eid`` is shaped like an id some device made for ``kind`` (whichever device)."""
    m = _OWN_ID_RE.fullmatch(eid) if type(eid) is str else None
    return m is not None and m.group(1) == ID_PREFIX.get(kind)


def own_id(kind: str, device: str, eid: str) -> bool:
    """Whether ``eid`` is in ``device``'s own namespace for ``kind`` (how the app names records)."""
    m = _OWN_ID_RE.fullmatch(eid)
    return m is not None and m.group(1) == ID_PREFIX.get(kind) and m.group(2) == device


# --- field checks -------------------------------------------------------------------------------

# Control characters and bidi overrides: text holding them is not something a person typed (the
# app drops them from what is typed, model.clean_text).
_CONTROL_RE = model.CONTROL_RE

Check = Callable[[object], bool]


def plain(v: str) -> bool:
    """No control characters (isprintable is the quick answer; it also refuses ordinary spaces such as U+3000)."""
    return v.isprintable() or _CONTROL_RE.search(v) is None


def text(limit: int, *, empty: bool = True) -> Check:
    def check(v: object) -> bool:
        return type(v) is str and len(v) <= limit and (empty or bool(v.strip())) and plain(v)
    return check


def one_of(values) -> Check:  # noqa: ANN001 - any container of codes
    allowed = frozenset(values)
    return lambda v: type(v) is str and v in allowed


def integer(lo: int, hi: int) -> Check:
    return lambda v: type(v) is int and lo <= v <= hi


def optional(check: Check) -> Check:
    return lambda v: v is None or check(v)


def is_bool(v: object) -> bool:
    return type(v) is bool


def _is_date(v: str) -> bool:
    if len(v) != 10 or v[4] != "-" or v[7] != "-" or not v.isascii():
        return False
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _is_stamp(v: str) -> bool:
    if not v.isascii():
        return False
    n = len(v)
    if not ((n == 19 or (n == 25 and v[19] in "+-" and v[22] == ":"))
            and v[4] == "-" and v[7] == "-" and v[10] == "T" and v[13] == ":" and v[16] == ":"):
        return False
    try:
        dt.datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


# Dates and times repeat too (a visit's findings share its time, follow-ups share due days), and
# parsing one is the dearest single check of an event: each is parsed once, like the ids above.
_SEEN_DATES: set[str] = set()
_SEEN_STAMPS: set[str] = set()


def is_date(v: object) -> bool:
    """``YYYY-MM-DD``, a real day."""
    return _seen_by(v, _is_date, _SEEN_DATES)


def is_stamp(v: object) -> bool:
    """A time as the app writes it, ``2026-11-25T10:00:00+08:00`` (or without the offset).

    Fixed positions, so that Python 3.10's stricter ``fromisoformat`` reads whatever passes here.
    """
    return _seen_by(v, _is_stamp, _SEEN_STAMPS)


def tag_list(v: object) -> bool:
    return type(v) is list and len(v) <= len(model.TAGS) and all(type(x) is str and x in model.TAGS for x in v)


_PROPOSAL: dict[str, Check] = {
    "people": integer(0, 50),
    "phone": lambda v: type(v) is str and model.is_phone(v),
    "moved_out": is_bool,
    "tags": tag_list,
    "new": lambda v: v is True,  # the finding's household is one the worker found at a door
}


def proposal(v: object) -> bool:
    """A data finding's proposed household changes, as :func:`model.validate_proposal` makes them."""
    return type(v) is dict and bool(v) and all(type(k) is str and k in _PROPOSAL and _PROPOSAL[k](x)
                                               for k, x in v.items())


L = model.LIMITS

# --- what each kind of record may hold ------------------------------------------------------------

# (kind, op) → ({field: check}, required fields). A field not listed may not be written at all;
# the link fields (household, visit, finding, building, grid) are set once, at create.
def id_list(v: object) -> bool:
    return type(v) is list and len(v) <= model.MAX_PROJECT_HOUSEHOLDS and all(is_id(x) for x in v) \
        and len(set(v)) == len(v)


def is_true(v: object) -> bool:
    return v is True


_FINDING_CHANGE = {
    "status": one_of(model.STATUSES),
    "proposal": one_of(model.PROPOSAL_OUTCOMES),  # the office's decision on a data finding's proposal
    "note": text(L["note"]),
    "to": text(L["unit"], empty=False),
    "satisfaction": one_of(model.SATISFACTION),
    "changed": is_stamp,
    # A correction of what was recorded: ``corrected`` instead of a status (model.CORRECTABLE).
    "corrected": is_true,
    "category": text(40), "asked": text(L["asked"], empty=False), "action": text(L["note"]),
    "triage": one_of(model.TRIAGE), "due": optional(is_date),
}
_VISIT_CHANGE = {
    "corrected": is_true, "void": is_true,  # one or the other: a correction, or "recorded by mistake"
    "mode": one_of(model.MODES), "outcome": one_of(model.OUTCOMES), "note": text(L["note"]), "changed": is_stamp,
}
_WISH_CHANGE = {
    "state": one_of(model.WISH_STATES),
    "claimed_by": text(L["unit"], empty=False),
    "note": text(L["note"]),
    "changed": is_stamp,
}
SCHEMAS: dict[tuple[str, str], tuple[dict[str, Check], frozenset[str]]] = {
    ("visit", "create"): ({
        "household": is_ref, "mode": one_of(model.MODES), "outcome": one_of(model.OUTCOMES),
        "note": text(L["note"]), "at": is_stamp, "worker": is_ref,
    }, frozenset({"household", "mode", "outcome", "at", "worker"})),
    ("finding", "create"): ({
        "role": one_of(model.ROLES), "category": text(40), "asked": text(L["asked"], empty=False),
        "action": text(L["note"]), "triage": one_of(model.TRIAGE), "due": optional(is_date),
        "proposed": proposal, "visit": is_id, "household": is_ref, "at": is_stamp, "status": one_of(("open",)),
    }, frozenset({"role", "category", "asked", "triage", "visit", "household", "at", "status"})),
    ("finding", "set"): (_FINDING_CHANGE, frozenset()),
    ("visit", "set"): (_VISIT_CHANGE, frozenset({"changed"})),
    ("wish", "create"): ({
        "household": is_ref, "finding": is_id, "title": text(L["asked"], empty=False),
        "state": one_of(("wish",)), "at": is_stamp,
    }, frozenset({"household", "finding", "title", "state", "at"})),
    ("wish", "set"): (_WISH_CHANGE, frozenset({"state"})),
    # The roster, from the office only.
    ("community", "create"): ({
        "name": text(L["name"]), "street": text(L["name"]), "district": text(L["name"]), "city": text(L["name"]),
    }, frozenset()),
    ("compound", "create"): ({"name": text(L["name"]), "address": text(L["address"])}, frozenset({"name"})),
    ("grid", "create"): ({"name": text(L["name"]), "worker": optional(is_id)}, frozenset({"name"})),
    ("worker", "create"): ({"name": text(L["name"]), "grid": is_id}, frozenset({"grid"})),
    ("worker", "set"): ({"name": text(L["name"]), "grid": is_id}, frozenset()),
    ("building", "create"): ({
        "compound": is_id, "name": text(L["name"], empty=False), "grid": is_id,
        "units": optional(integer(0, 999)), "floors": optional(integer(0, 999)),
    }, frozenset({"compound", "name", "grid"})),
    ("household", "create"): ({
        "building": is_ref, "unit": optional(integer(0, 999)), "floor": optional(integer(-9, 999)),
        "room": text(L["room"]), "head": text(L["name"]), "phone": text(L["phone"]),
        "id_number": text(L["phone"]), "people": optional(integer(0, 99)), "tags": tag_list,
        "moved_out": is_bool,
        "proposed": is_bool,  # found at a door by a worker, waiting for the office (true), or confirmed
    }, frozenset({"building", "room"})),
    # A roster update or an accepted proposal, from the office only: the facts, never the address.
    ("household", "set"): ({
        "floor": optional(integer(-9, 999)), "head": text(L["name"]), "phone": text(L["phone"]),
        "id_number": text(L["phone"]), "people": optional(integer(0, 99)), "tags": tag_list,
        "moved_out": is_bool, "proposed": is_bool, "changed": is_stamp,
    }, frozenset({"changed"})),
    # 一社区一年10件实事, from the office only: a need the residents' council may choose, then its progress.
    ("project", "create"): ({
        "title": text(L["asked"], empty=False), "role": one_of(model.ROLES), "category": text(40),
        "households": id_list, "state": one_of(("candidate",)), "at": is_stamp,
    }, frozenset({"title", "role", "category", "households", "state", "at"})),
    ("project", "set"): ({
        "state": one_of(model.PROJECT_STATES), "progress": integer(0, 100), "note": text(L["note"]),
        "followups": id_list, "changed": is_stamp,
    }, frozenset({"state", "changed"})),
}
WORKER_KINDS = frozenset({"visit", "finding", "wish", "household"})
# A worker creates a household only as a proposal (a door the roster lacks), and never changes one.
WORKER_CREATE_ONLY = frozenset({"household"})
# Fields of a change only the office writes: a worker's file holding one is refused whole.
OFFICE_FIELDS = frozenset({"proposal"})

_TOP = frozenset({"id", "t", "dev", "by", "kind", "eid", "op", "data", "prev", "train"})


def problem(e: object) -> str | None:
    """What is wrong with event ``e`` (a short code), or None if it may be stored."""
    if type(e) is not dict:
        return "not_object"
    if not _TOP.issuperset(e):
        return "unknown_key"
    t, dev, data = e.get("t"), e.get("dev"), e.get("data")
    if not (type(t) is list and len(t) == 2 and type(t[0]) is int and type(t[1]) is int
            and 0 <= t[0] < MAX_MS and 0 <= t[1] < MAX_COUNTER):
        return "bad_stamp"
    if not is_device(dev) or not (is_ref(e.get("by")) and is_id(e.get("eid"))):
        return "bad_id"
    if e.get("id") != f"{dev}.{t[0]}.{t[1]}":
        return "bad_event_id"
    if "train" in e and e["train"] is not True:
        return "bad_train"
    kind, op = e.get("kind"), e.get("op")
    schema = SCHEMAS.get((kind, op)) if type(kind) is str and type(op) is str else None
    if schema is None:
        return "bad_kind"
    if type(data) is not dict or not data:
        return "bad_data"
    prev = e.get("prev")
    if prev is not None:
        if e["op"] != "set" or type(prev) is not dict or not all(
                f in data and type(i) is str and len(i) <= 80 and i.isascii() for f, i in prev.items()):  # event ids
            return "bad_prev"
    return _fields_problem(schema, kind, op, data)


def data_problem(kind: str, op: str, data: dict) -> str | None:
    """What is wrong with the fields a record of ``kind`` gets by ``op`` (an event's ``data``, or a
    roster's record): the same check wherever the fields come from."""
    return _fields_problem(SCHEMAS[(kind, op)], kind, op, data)


def _fields_problem(schema: tuple[dict[str, Check], frozenset[str]], kind: str, op: str, data: dict) -> str | None:
    fields, required = schema
    for f, v in data.items():
        check = fields.get(f)
        if check is None:
            return f"field:{f}"[:40] if type(f) is str else "field"
        if not check(v):
            return f"value:{f}"
    if not required.issubset(data):  # a change names its status too: history and reports read it
        return "missing:" + sorted(required - set(data))[0]
    return _meaning(kind, op, data)


def _meaning(kind: str, op: str, d: dict) -> str | None:
    """Rules across the fields of one event."""
    if kind == "finding" and op == "create":
        if d["category"] not in model.CATEGORIES[d["role"]]:
            return "value:category"
        if "proposed" in d and d["role"] != "data":
            return "value:proposed"
    elif kind == "finding" and d.get("corrected"):
        if not set(d) <= model.CORRECTABLE["finding"] | {"corrected", "changed"} or len(d) < 3:
            return "value:corrected"
    elif kind == "finding":
        if "status" not in d:
            return "missing:status"
        if "to" in d and d["status"] != "referred":
            return "value:to"
        if "satisfaction" in d and d["status"] not in ("resolved", "closed"):
            return "value:satisfaction"
        if "proposal" in d and d["status"] != ("resolved" if d["proposal"] == "accepted" else "closed"):
            return "value:proposal"
    elif kind == "visit" and op == "set":
        if d.get("void") == d.get("corrected"):  # exactly one of them
            return "value:corrected"
        if d.get("corrected") and not set(d) & model.CORRECTABLE["visit"]:
            return "value:corrected"
    elif kind == "wish" and op == "set":
        if "claimed_by" in d and d["state"] != "claimed":
            return "value:claimed_by"
    return None
