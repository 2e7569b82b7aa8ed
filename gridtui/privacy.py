"""What of a resident's data may leave the office, and in what form. Pure: no I/O.

- A worker in the field needs a household's name and phone, never its full ID number: what the
  office sends a worker carries the ID masked (:func:`for_field`); the office keeps the full record.
- Care tags (独居老人, 残疾, 低保 …) are sensitive (PIPL): they stay in the office and on the grid's own
  workers' laptops, and leave exports unless asked for (:func:`masked_record`).
"""

from __future__ import annotations

import json

from . import model

CARE_TAGS: frozenset[str] = frozenset(code for code, tag in model.TAGS.items() if tag.care)


def for_field(event: dict) -> dict:
    """The event as a worker's laptop may hold it: a household's ID number masked.

    Masking is idempotent, so an event already masked comes back equal, and the office sends the
    same bytes for an event every time (a worker refuses an event id it holds with other content).
    """
    if event.get("kind") != "household":
        return event
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id_number"), str):
        return event
    masked = model.mask_id_number(data["id_number"])
    if masked == data["id_number"]:
        return event
    return {**event, "data": {**data, "id_number": masked}}


def redact_segment_file(name: str, raw: bytes) -> bytes:
    """A worker's store file from before encryption, with the ID numbers it holds masked."""
    if not name.startswith("events-"):
        return raw
    data = json.loads(raw.decode("utf-8"))
    for table in data.values():
        for doc_id, event in table.items():
            table[doc_id] = for_field(event)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_HOUSEHOLD_MASKS = {"head": model.mask_name, "phone": model.mask_phone, "id_number": model.mask_id_number}


def masked_record(kind: str, record: dict) -> dict:
    """A record for a file that leaves the app (export): personal data masked, care tags left out."""
    if kind == "household":
        out = dict(record)
        for field, mask in _HOUSEHOLD_MASKS.items():
            if isinstance(record.get(field), str):
                out[field] = mask(record[field])
        if isinstance(record.get("tags"), list):
            out["tags"] = [t for t in record["tags"] if t not in CARE_TAGS]
        return out
    proposed = record.get("proposed")
    if kind == "finding" and isinstance(proposed, dict) and isinstance(proposed.get("phone"), str):
        return {**record, "proposed": {**proposed, "phone": model.mask_phone(proposed["phone"])}}
    return record
