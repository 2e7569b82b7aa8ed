"""gridtui.rules: one check for every event, whatever a file holds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from gridtui import rules
from gridtui.events import make_event

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=8)
GOOD = make_event([1_795_000_000_000, 0], "d1", "W01", "visit", "Vd1-1", "create",
                  {"household": "H01", "mode": "door", "outcome": "met", "note": "", "at": "2026-11-25T10:00:00+08:00",
                   "worker": "W01"})


def test_a_good_event_passes():
    assert rules.problem(GOOD) is None


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(sorted(rules._TOP)), JSON, st.sampled_from(sorted(GOOD["data"])), JSON)
def test_any_json_anywhere_in_an_event_is_a_problem_named_never_an_error(key, value, field, field_value):
    # What a file holds is JSON: whatever stands where, the answer is a code or None, never an exception.
    top = {**GOOD, key: value}
    assert rules.problem(top) is None or isinstance(rules.problem(top), str)
    inner = {**GOOD, "data": {**GOOD["data"], field: field_value}}
    assert isinstance(rules.problem(inner), (str, type(None)))
    for junk in ([], {}, 7, None, ["visit"]):
        assert rules.problem({**GOOD, "kind": junk}) == "bad_kind"
        assert rules.problem({**GOOD, "op": junk}) == "bad_kind"


def test_ids_checked_once_are_still_checked_every_time_for_what_they_are():
    assert rules.is_ref("H01") and rules.is_ref("H01")  # the second from what was seen
    assert not rules.is_ref("H 01") and not rules.is_ref("H 01")  # a bad id is never remembered as good
    assert not rules.is_ref(["H01"]) and not rules.is_device({"d1": 1})


def test_dates_and_times_checked_once_are_still_checked_every_time(monkeypatch):
    assert rules.is_date("2026-02-28") and rules.is_date("2026-02-28")
    assert not rules.is_date("2026-02-30") and not rules.is_date("2026-02-30")  # not a real day, seen twice
    assert rules.is_stamp("2026-11-25T10:00:00+08:00") and rules.is_stamp("2026-11-25T10:00:00+08:00")
    assert not rules.is_stamp("2026-11-25T25:00:00") and not rules.is_stamp("2026-11-25T25:00:00")
    assert not rules.is_date(20260228) and not rules.is_stamp(["2026-11-25T10:00:00"])
    # Full (a file of made-up times): nothing more is kept, and what comes is still judged.
    monkeypatch.setattr(rules, "_SEEN_STAMPS", set())
    monkeypatch.setattr(rules, "_SEEN_LIMIT", 2)
    for s in ("2026-11-25T10:00:00", "2026-11-25T10:01:00", "2026-11-25T10:02:00"):
        assert rules.is_stamp(s)
    assert len(rules._SEEN_STAMPS) == 2
    assert rules.is_stamp("2026-11-25T10:02:00") and not rules.is_stamp("2026-13-25T10:02:00")
