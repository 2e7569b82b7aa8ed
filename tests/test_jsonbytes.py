"""JSON as gridtui writes it, and the buffers of many objects' JSON the office appends at once."""

import json
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridtui.jsonbytes import Many, dumps

VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=12),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                      max_leaves=12)


@given(st.lists(VALUES, max_size=8))
def test_many_holds_each_objects_json_as_dumps_makes_it(objs):
    many = Many(objs)
    assert len(many) == len(objs)
    assert [bytes(many[i]) for i in range(len(many))] == [dumps(o) for o in objs]
    assert [bytes(v) for v in many.span(1, 99)] == [dumps(o) for o in objs[1:]]


@pytest.mark.parametrize("chosen", [[0, 1, 2, 3], [1, 3], [2], []])
def test_many_over_the_bytes_objects_were_parsed_from_gives_those_bytes(chosen):
    objs = [{"id": "a", "n": 1}, "中文", [1, 2], {"id": "b"}]
    plain = b"[" + b",".join(dumps(o) for o in objs) + b"]"
    spans, at = [], 1
    for o in objs:
        spans.append((at, at + len(dumps(o))))
        at += len(dumps(o)) + 1
    many = Many.over(plain, array("Q", [spans[i][0] for i in chosen]), array("Q", [spans[i][1] for i in chosen]))
    assert len(many) == len(chosen)
    assert [json.loads(bytes(many[i])) for i in range(len(many))] == [objs[i] for i in chosen]
    many.clear()
    assert len(many) == 0
