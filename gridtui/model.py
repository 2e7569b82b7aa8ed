"""Records, roles, categories and validation: the pure vocabulary of gridtui.

Nothing here does I/O. Codes (``safety``, ``ebike_charging``) are stable identifiers stored in
events and files; their display names live in :mod:`gridtui.i18n`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import UserError

# The seven duty roles (七员), in the order of the number keys 1–7 on the visit form.
ROLES: tuple[str, ...] = (
    "data",
    "info",
    "publicity",
    "service",
    "mediation",
    "supervision",
    "safety",
)

# Finding categories per role; "other" closes every list so nothing is unrecordable.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "data": ("people", "phone", "moved_in", "moved_out", "other"),
    "info": ("health", "hardship", "employment", "rental", "other"),
    "publicity": ("pension", "medical_insurance", "housing_fund", "anti_fraud", "garbage_sorting", "other"),
    "service": ("micro_wish", "elderly_care", "repair", "paperwork", "other"),
    "mediation": ("neighbour", "tenant_landlord", "labour", "family", "other"),
    "supervision": ("property", "public_works", "contractor", "sanitation", "other"),
    "safety": ("ebike_charging", "extinguisher", "gas", "stairwell_light", "blocked_exit", "other"),
}

MODES: tuple[str, ...] = ("door", "phone", "other")
OUTCOMES: tuple[str, ...] = ("met", "no_answer", "refused", "vacant")
TRIAGE: tuple[str, ...] = ("routine", "coordinate", "urgent")
STATUSES: tuple[str, ...] = ("open", "referred", "resolved", "closed")
OPEN_STATUSES: frozenset[str] = frozenset({"open", "referred"})
SATISFACTION: tuple[str, ...] = ("satisfied", "basically", "dissatisfied")
WISH_STATES: tuple[str, ...] = ("wish", "claimed", "fulfilled")

# Household facts a `data` finding may propose to change, and what the office may decide.
PROPOSABLE_FACTS: tuple[str, ...] = ("people", "phone", "tags", "moved_out")
PROPOSAL_OUTCOMES: tuple[str, ...] = ("accepted", "rejected")
# What a correction may change of a saved record: what was seen and said, never whose door or when.
CORRECTABLE: dict[str, frozenset[str]] = {
    "visit": frozenset({"mode", "outcome", "note"}),
    "finding": frozenset({"category", "asked", "action", "triage", "due"}),
}

# Longest text (in characters) each kind of field may hold: room for a real note, not for a file.
# The year's "10 practical things" (一社区一年10件实事): a need chosen, worked on, done (or dropped).
PROJECT_STATES = ("candidate", "adopted", "in_progress", "done", "dropped")
MAX_PROJECT_HOUSEHOLDS = 5000

LIMITS: dict[str, int] = {
    "asked": 500,  # 诉求, a wish's title
    "note": 2000,  # notes, 措施 (action)
    "unit": 100,  # a unit referred to, who claimed a wish
    "name": 100,  # names of people, places, grids
    "address": 200,
    "room": 20,
    "phone": 30,  # also ID numbers
}
# Control characters (but tab and newline) and the bidi overrides that reorder a terminal's text.
# (and lone surrogates: half a character, which no file can hold in UTF-8 and no one typed)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(value: object, limit: str) -> str:
    """Text as typed, ready to store: trimmed, control characters dropped, no longer than its limit."""
    text = CONTROL_RE.sub("", str(value or "")).strip()
    if len(text) > LIMITS[limit]:
        raise ValidationError("err.too_long", n=LIMITS[limit], start=text[:12])
    return text


@dataclass(frozen=True)
class Tag:
    code: str
    interval_days: int | None  # how often a household with this tag is due a visit
    care: bool  # 关爱对象: sensitive, never shown outside the worker's own grid


TAGS: dict[str, Tag] = {
    t.code: t
    for t in (
        Tag("elderly_alone", 7, True),
        Tag("empty_nest", 14, True),
        Tag("disability", 14, True),
        Tag("left_behind_child", 14, True),
        Tag("low_income", 30, True),
        Tag("veteran", 30, False),
        Tag("rental", 30, False),
    )
}
# Households with no interval tag are due twice a year.
DEFAULT_INTERVAL_DAYS = 182


class ValidationError(UserError, ValueError):
    """Input that breaks a rule of the domain."""


def role_by_number(n: int) -> str:
    """Role for number key ``n`` (1–7)."""
    if not 1 <= n <= len(ROLES):
        raise ValidationError("err.role_number", n=n)
    return ROLES[n - 1]


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("err.bad_date", value=text) from None


def visit_interval(tags: list[str] | tuple[str, ...]) -> int:
    """Days between visits a household is due: the tightest interval among its tags."""
    days = [TAGS[t].interval_days for t in tags if t in TAGS and TAGS[t].interval_days]
    return min(days, default=DEFAULT_INTERVAL_DAYS)


_PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]")


def is_phone(text: str) -> bool:
    return _PHONE_RE.fullmatch(text) is not None


def validate_finding(f: dict, today: dt.date | None = None) -> dict:
    """Check and normalise one finding as entered (form or CLI); returns a clean copy.

    Given ``today``, a follow-up date before it is refused: a new finding cannot already be overdue.
    """
    role = f.get("role")
    if role not in ROLES:
        raise ValidationError("err.bad_role", value=role)
    category = f.get("category") or "other"
    if category not in CATEGORIES[role]:
        raise ValidationError("err.bad_category", value=category, role=role)
    asked = clean_text(f.get("asked"), "asked")
    if not asked:
        raise ValidationError("err.finding_empty")
    triage = f.get("triage") or "routine"
    if triage not in TRIAGE:
        raise ValidationError("err.bad_triage", value=triage)
    out = {
        "role": role,
        "category": category,
        "asked": asked,
        "action": clean_text(f.get("action"), "note"),
        "triage": triage,
        "due": None,
    }
    due = f.get("due")
    if due:
        day = parse_date(due) if isinstance(due, str) else due
        if today is not None and day < today:
            raise ValidationError("err.due_past", value=day.isoformat(), today=today.isoformat())
        out["due"] = day.isoformat()
    proposed = f.get("proposed") or {}
    if proposed:
        if role != "data":
            raise ValidationError("err.proposal_not_data")
        out["proposed"] = validate_proposal(proposed)
    return out


def validate_proposal(p: dict) -> dict:
    out: dict = {}
    for k, v in p.items():
        if k not in PROPOSABLE_FACTS:
            raise ValidationError("err.bad_fact", value=k)
        if k == "people":
            try:
                n = int(v)
            except (TypeError, ValueError):
                raise ValidationError("err.bad_people", value=v) from None
            if not 0 <= n <= 50:
                raise ValidationError("err.bad_people", value=v)
            out[k] = n
        elif k == "phone":
            s = str(v).strip()
            if not is_phone(s):
                raise ValidationError("err.bad_phone")
            out[k] = s
        elif k == "tags":  # the household's tags as they should be (codes; gridtui.vocab reads names)
            if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x in TAGS for x in v):
                raise ValidationError("err.bad_fact", value=k)
            out[k] = sorted(set(v))
        else:
            out[k] = bool(v)
    return out


def validate_visit(v: dict, today: dt.date | None = None) -> dict:
    """Check and normalise a visit with its findings; returns a clean copy."""
    mode = v.get("mode") or "door"
    if mode not in MODES:
        raise ValidationError("err.bad_mode", value=mode)
    outcome = v.get("outcome")
    if outcome not in OUTCOMES:
        raise ValidationError("err.bad_outcome", value=outcome)
    findings = [validate_finding(f, today) for f in v.get("findings") or ()]
    if findings and outcome != "met" and mode == "door":
        # Nobody answered the door, so nobody asked for anything; a phone visit can still find.
        raise ValidationError("err.findings_need_met")
    return {
        "household": v["household"],
        "mode": mode,
        "outcome": outcome,
        "note": clean_text(v.get("note"), "note"),
        "findings": findings,
    }


# --- masking personal data -------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张建华 → 张*华, 李娜 → 李*, Smith → S***h."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"  # a one-character name shown whole would be no mask at all
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; a landline 62345678 → ****5678: never more than seven digits of an
    eleven-digit number, and only the last four of a shorter one."""
    digits = phone or ""
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 11:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(idn: str) -> str:
    """An 18-digit resident ID keeps its first 3 and last 2 characters."""
    if not idn:
        return ""
    if len(idn) <= 5:
        return "*" * len(idn)
    return idn[:3] + "*" * (len(idn) - 5) + idn[-2:]


# A service finding in this category is a micro-wish (微心愿) and gets a wish record of its own.
WISH_CATEGORY = ("service", "micro_wish")


def validate_status_change(status: str, note: str, satisfaction: str | None, to: str | None) -> dict:
    """A finding's move to ``status``: referred needs a unit, closing may carry the 回访 result."""
    if status not in STATUSES:
        raise ValidationError("err.bad_status", value=status)
    data: dict = {"status": status, "note": clean_text(note, "note")}
    if status == "referred":
        unit = clean_text(to, "unit")
        if not unit:
            raise ValidationError("err.refer_needs_unit")
        data["to"] = unit
    if satisfaction:
        if status not in ("resolved", "closed"):
            raise ValidationError("err.satisfaction_on_close")
        if satisfaction not in SATISFACTION:
            raise ValidationError("err.bad_satisfaction", value=satisfaction)
        data["satisfaction"] = satisfaction
    return data


def validate_wish_change(state: str, claimed_by: str | None, note: str) -> dict:
    if state not in WISH_STATES:
        raise ValidationError("err.bad_wish_state", value=state)
    data: dict = {"state": state, "note": clean_text(note, "note")}
    if state == "claimed":
        who = clean_text(claimed_by, "unit")
        if not who:
            raise ValidationError("err.claim_needs_who")
        data["claimed_by"] = who
    return data


def restorable(kind: str, before: dict) -> dict:
    """Of a record's earlier values, those a change may set back together (undo): the status (or
    wish state) with only the fields that go with it, so the change is one the app could make."""
    head = {"finding": "status", "wish": "state"}.get(kind)
    if head is None or head not in before:
        return {}
    out = {head: before[head], "note": before.get("note", "")}
    if kind == "finding":
        if before[head] == "referred" and before.get("to"):
            out["to"] = before["to"]
        if before[head] in ("resolved", "closed") and before.get("satisfaction"):
            out["satisfaction"] = before["satisfaction"]
    elif before[head] == "claimed" and before.get("claimed_by"):
        out["claimed_by"] = before["claimed_by"]
    return out


def validate_visit_correction(visit: dict, changes: dict, has_findings: bool) -> dict:
    """The fields of a saved visit that ``changes`` really changes, checked as a new visit would be."""
    merged = {**visit, **{k: v for k, v in changes.items() if v is not None}}
    clean = validate_visit({**merged, "findings": [{"role": "data", "asked": "-"}] if has_findings else []})
    out = {k: clean[k] for k in CORRECTABLE["visit"] if changes.get(k) is not None and clean[k] != visit.get(k)}
    if not out:
        raise ValidationError("err.nothing_corrected")
    return out


def validate_finding_correction(finding: dict, changes: dict, today: dt.date) -> dict:
    """The fields of a saved finding that ``changes`` really changes (its role stays)."""
    given = {k: v for k, v in changes.items() if v is not None}
    merged = {**{k: finding.get(k) for k in ("role", "category", "asked", "action", "triage")}, **given}
    due_given = "due" in given and given["due"] != finding.get("due")
    clean = validate_finding({**merged, "due": given.get("due") or None}, today if due_given else None)
    if "due" not in given:
        clean["due"] = finding.get("due")
    out = {k: clean[k] for k in CORRECTABLE["finding"] if k in given and clean[k] != finding.get(k)}
    if not out:
        raise ValidationError("err.nothing_corrected")
    return out


def validate_new_household(h: dict) -> dict:
    """A household a worker found at a door that the roster lacks: room and head needed, the rest optional."""
    room = clean_text(h.get("room"), "room")
    head = clean_text(h.get("head"), "name")
    if not room or not head:
        raise ValidationError("err.new_household_needs")
    out: dict = {"room": room, "head": head, "tags": []}
    for k, lo, hi in (("unit", 0, 999), ("people", 0, 50)):
        text = str(h.get(k) if h.get(k) is not None else "").strip()
        if text:
            if not text.isdigit() or not lo <= int(text) <= hi:
                raise ValidationError("err.bad_number_field", field=k, value=text)
            out[k] = int(text)
    out.setdefault("unit", 1)
    digits = room[:-2] if room[:-2].isdigit() else ""
    out["floor"] = int(digits) if digits else None
    phone = str(h.get("phone") or "").strip()
    if phone:
        if not is_phone(phone):
            raise ValidationError("err.bad_phone")
        out["phone"] = phone
    return out
