"""The event log: the clock never goes backwards, and the fold depends only on the set of events."""

from hypothesis import given, settings
from hypothesis import strategies as st

from gridtui.events import Clock, fold, make_event


def test_clock_is_monotonic_when_wall_clock_goes_backwards():
    walls = iter([1000, 2000, 1500, 1500, 900, 2500])
    clock = Clock(lambda: next(walls))
    stamps = [tuple(clock.tick()) for _ in range(6)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 6
    assert stamps[2] == (2000, 1)  # wall went back: stays at 2000, counter moves
    assert stamps[5] == (2500, 0)  # wall overtakes again: counter resets


def test_clock_moves_past_observed_stamps_but_not_far_future_ones():
    clock = Clock(lambda: 10_000)
    clock.observe([20_000, 3])
    assert tuple(clock.tick()) == (20_000, 4)
    clock.observe([10_000 + 10 * 86_400_000, 0])  # a laptop ten days fast
    assert clock.tick()[0] == 20_000


def _ev(dev, ms, c, kind, eid, op, data, prev=None, by="W01"):
    return make_event([ms, c], dev, by, kind, eid, op, data, prev=prev)


def test_later_change_wins_and_history_is_kept():
    create = _ev("a", 1, 0, "finding", "F1", "create", {"status": "open", "asked": "燃气"})
    refer = _ev("b", 2, 0, "finding", "F1", "set", {"status": "referred", "to": "燃气公司"}, prev={"status": create["id"]})
    resolve = _ev("a", 3, 0, "finding", "F1", "set", {"status": "resolved"}, prev={"status": refer["id"]})
    state = fold([resolve, create, refer])
    f = state.entities["finding"]["F1"]
    assert f["status"] == "resolved" and f["to"] == "燃气公司"
    assert [h["status"] for h in f["history"]] == ["referred", "resolved"]
    assert state.conflicts == []


def test_concurrent_changes_are_a_conflict_and_the_later_clock_wins():
    create = _ev("a", 1, 0, "household", "H1", "create", {"people": 3})
    mine = _ev("a", 5, 0, "household", "H1", "set", {"people": 2}, prev={"people": create["id"]})
    theirs = _ev("b", 6, 0, "household", "H1", "set", {"people": 4}, prev={"people": create["id"]})
    state = fold([theirs, mine, create])
    assert state.entities["household"]["H1"]["people"] == 4
    [c] = state.conflicts
    assert (c.field, c.kept["id"], c.other["id"]) == ("people", theirs["id"], mine["id"])
    # The losing value is told with the conflict, though the state keeps no events to look it up in.
    assert (c.kept["data"]["people"], c.other["data"]["people"], c.other["by"]) == (4, 2, mine["by"])


# Random logs of sets on a few entities by a few devices, with stamps unique per device.
_change = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(1, 50),
    st.sampled_from(["H1", "H2"]),
    st.sampled_from(["people", "phone"]),
    st.integers(0, 9),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_change, max_size=25), st.randoms(use_true_random=False))
def test_fold_gives_the_same_state_for_any_order_and_repetition(changes, rnd):
    events, seen = [], set()
    for dev, ms, eid, fld, val in changes:
        if (dev, ms) in seen:
            continue
        seen.add((dev, ms))
        events.append(_ev(dev, ms, 0, "household", eid, "set" if events else "create", {fld: val}))
    shuffled = events + events[: len(events) // 2]
    rnd.shuffle(shuffled)
    a, b = fold(events), fold(shuffled)
    assert a.entities == b.entities


def test_each_state_gets_its_own_index_and_a_dead_ones_goes_with_it():
    import gc

    from gridtui import views
    from gridtui.roster import roster_events

    from conftest import small_roster

    events = roster_events(small_roster())
    for n in range(300):  # new states, often at a freed one's address
        state = fold(events[: 5 + n % 7])
        ix = views.index(state)
        assert sum(len(v) for v in ix.households_by_building.values()) == len(state.entities["household"])
        del state, ix
    gc.collect()
    assert len(views._index_cache) <= 1
