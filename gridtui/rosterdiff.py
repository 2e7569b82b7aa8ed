"""What a new roster would change in the ledger, and the changes that apply it. Pure: no I/O.

A quarterly roster (JSON, CSV or Excel) is matched to the ledger by **address**, never by row
order: compounds by name, buildings by compound and name, households by building, unit and room
(full-width digits read as plain ones). A CSV exported from another system numbers its rows
afresh every time, so its ids say nothing; a door does not move.

- A household at an address the ledger lacks is **new** (it keeps the file's id if that is free).
- One at a known address whose facts differ (head, phone, ID number, people, tags, floor) is
  **changed**; which fields, never their values, is what the diff names.
- One the ledger holds (not moved out) and the file does not is **moved out**: a roster import
  never deletes, the history stays.
- A household moved out that the file lists again has moved back in.

A changed or moved-out household that has open findings, or a 数据员's proposal still waiting, is
flagged: the office should look before the new roster overrules what a worker saw at the door.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from . import model
from .events import State

FACTS = ("head", "phone", "id_number", "people", "tags", "floor")


def plain(text: object) -> str:
    """Full-width digits and letters as plain ones (３０２ → 302), trimmed: how addresses and numbers compare."""
    return unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()


@dataclass
class Diff:
    new: list[dict] = field(default_factory=list)  # households as they will be created (ids given)
    changed: list[dict] = field(default_factory=list)  # {"id", "fields": [names], "data": {field: new value}}
    moved_out: list[str] = field(default_factory=list)
    moved_in: list[str] = field(default_factory=list)  # moved out in the ledger, listed again
    compounds: list[dict] = field(default_factory=list)  # new ones, as created
    buildings: list[dict] = field(default_factory=list)
    grids: list[dict] = field(default_factory=list)
    regridded: list[str] = field(default_factory=list)  # buildings the file puts in another grid: not applied
    flags: dict[str, list[str]] = field(default_factory=dict)  # household id → "open_findings" / "proposal"

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.moved_out or self.moved_in or self.buildings
                    or self.compounds or self.grids)


def _address(compound: str, building: str, unit: object, room: object) -> tuple[str, str, str, str]:
    return plain(compound), plain(building), plain(unit if unit is not None else 1), plain(room)


def _facts(h: dict) -> dict:
    out = {f: h.get(f) for f in FACTS}
    out["tags"] = sorted(h.get("tags") or ())
    for f in ("head", "phone", "id_number"):
        out[f] = plain(out[f])
    out["id_number"] = out["id_number"].upper()  # a check digit x is X
    return out


def _free_id(wanted: str | None, taken: set[str], prefix: str, width: int) -> str:
    if wanted and wanted not in taken:
        taken.add(wanted)
        return wanted
    n = len(taken) + 1
    while f"{prefix}{n:0{width}d}" in taken:
        n += 1
    taken.add(f"{prefix}{n:0{width}d}")
    return f"{prefix}{n:0{width}d}"


def diff(state: State, roster: dict) -> Diff:
    """How the ledger ``state`` would have to change to match ``roster`` (a gridtui-roster/1 dict)."""
    ents = state.entities
    out = Diff()
    # --- the ledger, by address
    compound_by_name = {plain(c.get("name")): cid for cid, c in ents["compound"].items()}
    building_by_key = {(plain(ents["compound"].get(b.get("compound"), {}).get("name")), plain(b.get("name"))): bid
                       for bid, b in ents["building"].items()}
    held: dict[tuple, str] = {}
    for hid, h in ents["household"].items():
        b = ents["building"].get(h.get("building"), {})
        cname = ents["compound"].get(b.get("compound"), {}).get("name", "")
        held.setdefault(_address(cname, b.get("name", ""), h.get("unit"), h.get("room")), hid)
    # --- the file, record by record
    taken = {k: set(ents[k]) for k in ("compound", "building", "household")}
    file_compounds = {c["id"]: c for c in roster.get("compounds", ())}
    for g in roster.get("grids", ()):
        if g["id"] not in ents["grid"] and g["id"] not in {x["id"] for x in out.grids}:
            out.grids.append({"id": g["id"], "name": g.get("name") or g["id"]})
    known_grids = set(ents["grid"]) | {g["id"] for g in out.grids}
    compound_of: dict[str, str] = {}  # file compound id → ledger compound id
    for fid, c in file_compounds.items():
        cid = compound_by_name.get(plain(c.get("name")))
        if cid is None:
            cid = _free_id(fid, taken["compound"], "X", 2)
            compound_by_name[plain(c.get("name"))] = cid
            out.compounds.append({"id": cid, "name": c.get("name", ""), "address": c.get("address", "")})
        compound_of[fid] = cid
    building_of: dict[str, tuple[str, str, str]] = {}  # file building id → (ledger id, compound name, name)
    for b in roster.get("buildings", ()):
        cname = plain(file_compounds.get(b.get("compound"), {}).get("name"))
        key = (cname, plain(b.get("name")))
        bid = building_by_key.get(key)
        if bid is None:
            if b.get("grid") not in known_grids:
                raise model.ValidationError("roster.unknown_grid", building=b.get("name", ""), grid=b.get("grid"))
            bid = _free_id(b.get("id"), taken["building"], "B", 2)
            building_by_key[key] = bid
            new = {"id": bid, "compound": compound_of[b["compound"]], "name": b.get("name", ""), "grid": b["grid"]}
            new.update({k: b[k] for k in ("units", "floors") if b.get(k) is not None})
            out.buildings.append(new)
        elif ents["building"][bid].get("grid") != b.get("grid"):
            out.regridded.append(bid)
        building_of[b["id"]] = (bid, cname, plain(b.get("name")))
    seen: set[str] = set()
    for h in roster.get("households", ()):
        bid, cname, bname = building_of[h["building"]]
        address = _address(cname, bname, h.get("unit"), h.get("room"))
        hid = held.get(address)
        gone = bool(h.get("moved_out"))
        if hid is None:
            if gone:
                continue  # a household that left before the ledger knew it: nothing to record
            new = {k: h[k] for k in ("unit", "floor", "head", "people", "tags") if h.get(k) is not None}
            new.update({k: plain(h.get(k)) for k in ("room", "phone", "id_number")})
            new["id_number"] = new["id_number"].upper()
            new.update(id=_free_id(h.get("id"), taken["household"], "H", 4), building=bid, moved_out=False)
            out.new.append(new)
            continue
        seen.add(hid)
        old = ents["household"][hid]
        if gone:
            if not old.get("moved_out"):
                out.moved_out.append(hid)
            continue
        if old.get("moved_out"):
            out.moved_in.append(hid)
        mine, theirs = _facts(old), _facts(h)
        fields = [f for f in FACTS if f in h and mine[f] != theirs[f]]
        if fields:
            out.changed.append({"id": hid, "fields": fields, "data": {f: theirs[f] for f in fields}})
    for hid, h in ents["household"].items():
        # A door a worker proposed is in no roster yet: the office decides on it (office proposals).
        if hid not in seen and not h.get("moved_out") and not h.get("proposed") and hid not in out.moved_out:
            out.moved_out.append(hid)
    out.moved_out.sort()
    _flag(state, out)
    return out


def _flag(state: State, d: Diff) -> None:
    touched = set(d.moved_out) | {c["id"] for c in d.changed}
    for f in state.entities["finding"].values():
        hid = f.get("household")
        if hid in touched and f.get("status") in model.OPEN_STATUSES:
            reason = "proposal" if f.get("proposed") and f.get("status") == "open" else "open_findings"
            reasons = d.flags.setdefault(hid, [])
            if reason not in reasons:
                reasons.append(reason)


def changes(d: Diff, now: str) -> list[tuple[str, str, str, dict]]:
    """(kind, id, op, data) of the office events that apply the diff, creates first."""
    out: list[tuple[str, str, str, dict]] = []
    out += [("grid", g["id"], "create", {"name": g["name"]}) for g in d.grids]
    out += [("compound", c["id"], "create", {k: v for k, v in c.items() if k != "id"}) for c in d.compounds]
    out += [("building", b["id"], "create", {k: v for k, v in b.items() if k != "id"}) for b in d.buildings]
    out += [("household", h["id"], "create", {k: v for k, v in h.items() if k != "id"}) for h in d.new]
    back = set(d.moved_in)
    for c in d.changed:
        data = dict(c["data"])
        if c["id"] in back:
            data["moved_out"] = False
        out.append(("household", c["id"], "set", {**data, "changed": now}))
    out += [("household", hid, "set", {"moved_out": False, "changed": now})
            for hid in d.moved_in if hid not in {c["id"] for c in d.changed}]
    out += [("household", hid, "set", {"moved_out": True, "changed": now}) for hid in d.moved_out]
    return out
