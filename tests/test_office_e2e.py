"""The whole story on the demo roster: the office sets up, enrolls three workers, publishes; two
workers of the same grid change the same finding without seeing each other; the office merges,
sees the conflict, decides, republishes; the workers see the decision and have nothing unsynced."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import unlock
from gridtui.keys import parse as parse_key
from gridtui.cli import main
from gridtui.demo import demo_data_path
from gridtui.home import real_store
from gridtui.store import Store
from gridtui.sync import envelope


def cli(home, *args, input=None):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]], input=input)


def ok(res):
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def opened(raw: bytes, key: str) -> dict:
    """A to-worker file opened with its worker's key (the events are encrypted)."""
    parsed = envelope.parse(raw)
    assert parsed.obj is not None, parsed.reason
    obj, problem = envelope.unseal(parsed.obj, key)
    assert obj is not None, problem
    return obj


def other_grid_data(raw: bytes, key: str, roster: dict, grid: str) -> list[str]:
    """Everything in a to-worker file that belongs to ``grid``: its buildings, households, residents'
    names and phones, and any visit/finding/wish of its households."""
    buildings = {b["id"] for b in roster["buildings"] if b["grid"] == grid}
    households = {h["id"]: h for h in roster["households"] if h["building"] in buildings}
    obj = opened(raw, key)
    leaks = []
    for e in obj["events"]:
        if (e["kind"] == "building" and e["eid"] in buildings) or (e["kind"] == "household" and e["eid"] in households):
            leaks.append(e["eid"])
        elif e["data"].get("household") in households:
            leaks.append(e["eid"])
    text = json.dumps(obj, ensure_ascii=False)
    leaks += [h["phone"] for h in households.values() if h.get("phone") and h["phone"] in text]
    return leaks


def open_findings(office, grid):
    res = ok(cli(office, "office", "findings", "--status", "open", "--grid", grid, "--format", "json"))
    return json.loads(res.output)


def test_office_round_trip_with_a_conflict_and_a_decision(tmp_path):
    roster = json.loads(demo_data_path().read_text(encoding="utf-8"))
    office, shared = tmp_path / "office-pc", tmp_path / "shared"
    shared.mkdir()

    res = ok(cli(office, "office", "init", "--roster", demo_data_path()))
    assert res.output.startswith("已建立办公室数据：4 个网格，24 栋楼，640 户")

    keys = {}
    for w, name, grid in (("W01", "李秀英", "G01"), ("W05", "赵楼长", "G01"), ("W02", "王志刚", "G02")):
        res = ok(cli(office, "office", "enroll", w, "--name", name, "--grid", grid))
        assert res.output.startswith(f"已登记 {w}（{name}，{grid}）")
        keys[w] = parse_key(res.output.strip().splitlines()[-1])
    assert len(set(keys.values())) == 3

    res = ok(cli(office, "office", "publish", "--shared", shared))
    assert [ln.split("：")[0] for ln in res.output.strip().splitlines()] == ["W01", "W02", "W05"]
    assert (shared / "to-worker" / "W01.json").read_bytes() != (shared / "to-worker" / "W05.json").read_bytes()

    # Data minimisation: W02 (G02) gets G02 and nothing of G01.
    w02_file = (shared / "to-worker" / "W02.json").read_bytes()
    assert other_grid_data(w02_file, keys["W02"], roster, "G01") == []
    assert other_grid_data(w02_file, keys["W02"], roster, "G02"), "W02's file holds its own grid"
    # On the shared folder the events are encrypted: no resident's phone or name in clear, and
    # another worker's key does not open the file.
    assert not [h for h in roster["households"] if h["phone"] and h["phone"].encode() in w02_file]
    assert not [h for h in roster["households"] if h["head"].encode("utf-8") in w02_file]
    assert envelope.unseal(envelope.parse(w02_file).obj, keys["W01"]) == (None, "sync.bad_signature")
    # A worker gets names and phones for the door, never a full ID number: the office keeps those.
    w02_text = json.dumps(opened(w02_file, keys["W02"]), ensure_ascii=False)
    g02 = {b["id"] for b in roster["buildings"] if b["grid"] == "G02"}
    g02_houses = [h for h in roster["households"] if h["building"] in g02]
    assert [h for h in g02_houses if h.get("id_number") and h["id_number"] in w02_text] == []
    assert [h for h in g02_houses if h["phone"] and h["phone"] in w02_text], "phones are sent for the door"

    findings = open_findings(office, "G01")
    assert len(findings) >= 2
    target, other = findings[0]["id"], findings[1]["id"]

    homes = {w: tmp_path / f"laptop-{w}" for w in keys}
    for w, home in homes.items():
        res = ok(cli(home, "setup", "--shared", shared, "--worker", w, input=keys[w] + "\n"))
        assert res.output.startswith(f"已加入：网格 {'G02' if w == 'W02' else 'G01'}")

    # Both G01 workers change the same open finding once, neither seeing the other's change.
    with Store.open(real_store(homes["W01"]), unlock=unlock) as s:
        assert s.state.entities["finding"][target]["status"] == "open"
        hid = s.state.entities["finding"][target]["household"]
        s.record_visit({"household": hid, "outcome": "met", "note": "回访",
                        "findings": [{"role": "safety", "category": "extinguisher", "asked": "灭火器过期"}]})
        s.set_finding_status(target, "resolved", "已上门修好")
    with Store.open(real_store(homes["W05"]), unlock=unlock) as s:
        assert s.state.entities["finding"][target]["status"] == "open"
        s.record_visit({"household": hid, "outcome": "met", "note": "楼栋长走访"})
        s.set_finding_status(target, "referred", "需物业处理", to="物业服务中心")
    g02_house = next(h["id"] for h in roster["households"]
                     if h["building"] in {b["id"] for b in roster["buildings"] if b["grid"] == "G02"})
    with Store.open(real_store(homes["W02"]), unlock=unlock) as s:
        s.record_visit({"household": g02_house, "outcome": "no_answer"})

    for w in ("W01", "W05", "W02"):
        res = ok(cli(homes[w], "sync"))
        assert res.output.startswith("已同步：发出")

    res = ok(cli(office, "office", "merge", "--shared", shared))
    summary, *lines = res.output.strip().splitlines()
    assert summary.startswith("采用文件 3 个") and summary.endswith("跳过文件 0 个，冲突 1 处"), res.output
    conflict_lines = [ln for ln in lines if ln.startswith("冲突")]
    assert len(conflict_lines) == 1 and not [ln for ln in lines if ln.startswith(("跳过", "注意"))], res.output
    line = conflict_lines[0]
    assert line.startswith(f"冲突 发现 {target} 的“状态、备注”")  # names, not codes
    assert "已办结" in line and "已转办" in line and "resolved" not in line  # both values visible, in words
    assert "（W01）" in line and "（W05）" in line

    # The office decides: resolve the contested finding, refer another.
    res = ok(cli(office, "office", "resolve", target, "--note", "社区协调物业已更换"))
    assert res.output.strip() == f"{target} 已改为 已办结"
    res = ok(cli(office, "office", "refer", other, "--to", "街道城管中队", "--note", "占道"))
    assert res.output.strip() == f"{other} 已改为 已转办"
    resolved = json.loads(ok(cli(office, "office", "findings", "--status", "resolved", "--grid", "G01",
                                  "--format", "json")).output)
    assert target in {r["id"] for r in resolved}

    ok(cli(office, "office", "publish", "--shared", shared))
    # Still nothing of G01 for W02, now that the office holds G01's new visits too.
    assert other_grid_data((shared / "to-worker" / "W02.json").read_bytes(), keys["W02"], roster, "G01") == []

    for w in ("W01", "W05"):
        res = ok(cli(homes[w], "sync"))
        assert res.output.strip().endswith("办公室尚未收到 0 条"), res.output
        with Store.open(real_store(homes[w]), unlock=unlock) as s:
            f = s.state.entities["finding"][target]
            assert f["status"] == "resolved" and f["note"] == "社区协调物业已更换"
            # The audit trail keeps both workers' changes and the office's decision.
            assert [(h["by"], h["status"]) for h in f["history"]][-3:] in (
                [("W01", "resolved"), ("W05", "referred"), ("office", "resolved")],
                [("W05", "referred"), ("W01", "resolved"), ("office", "resolved")])
            assert s.state.entities["finding"][other]["status"] == "referred"
            assert s.state.entities["finding"][other]["to"] == "街道城管中队"
            # Each G01 worker now also holds the other's visit.
            notes = {v["note"] for v in s.state.entities["visit"].values() if v["household"] == hid}
            assert {"回访", "楼栋长走访"} <= notes
            assert s.unsynced_count() == 0

    res = ok(cli(homes["W02"], "sync"))
    with Store.open(real_store(homes["W02"]), unlock=unlock) as s:
        assert target not in s.state.entities["finding"] and hid not in s.state.entities["household"]
        assert s.unsynced_count() == 0

    # The workers' files were rewritten by those syncs (a new "created" time) but hold nothing new:
    # merging them adds nothing and does not report the settled conflict again.
    res = ok(cli(office, "office", "merge", "--shared", shared))
    assert "新记录 0 条" in res.output and res.output.strip().endswith("跳过文件 0 个，冲突 0 处"), res.output
    res = ok(cli(office, "office", "merge", "--shared", shared))
    assert res.output.strip() == "采用文件 0 个，新记录 0 条，未变文件 3 个，跳过文件 0 个，冲突 0 处"
