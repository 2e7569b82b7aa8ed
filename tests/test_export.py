"""`gridtui office export`: the merged records as CSV (for Excel) or JSON Lines, read back whole."""

from __future__ import annotations

import csv
import io
import json
import stat
import sys

import pytest
from click.testing import CliRunner

from conftest import small_roster, unlock
from gridtui import csvtext, model, privacy
from gridtui.cli import main
from gridtui.demo import demo_data_path
from gridtui.events import HISTORIED, fold
from gridtui.home import office_store
from gridtui.office import export as ex
from gridtui.office.commands import sensitive_exports
from gridtui.roster import roster_events
from gridtui.store import Store

KINDS = {"households": "household", "visits": "visit", "findings": "finding", "wishes": "wish"}
TRICKY_NOTE = '门口堆放纸箱，"易燃"，已提醒\n下周复查'  # comma, quotes and a line break in one cell
# What each household of the office below is, in full: ID numbers, and care tags beside ordinary ones.
ID_NUMBERS = {"H01": "42010619500101123X", "H02": "420106198203154521", "H03": "420103196904185483"}
TAGS = {"H01": ["elderly_alone"], "H02": ["rental", "low_income"], "H03": ["veteran", "disability"]}
MASKED_LINE = "姓名、电话、身份证号已打码"
SENSITIVE_LINE = "本次导出含未打码的个人敏感信息，已记录在案"


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]])


def ok(res):
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def one_error_line(res) -> str:
    assert res.exit_code == 2, (res.output, res.exception)
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    return lines[0]


@pytest.fixture
def office(tmp_path):
    """An office home from small_roster() with some life in it: visits, a micro-wish, decisions."""
    home = tmp_path / "office-pc"
    data = small_roster()
    for h in data["households"]:
        h.update(id_number=ID_NUMBERS[h["id"]], tags=TAGS[h["id"]])
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ok(cli(home, "office", "init", "--roster", roster))
    with Store.open(office_store(home), unlock=unlock) as s:
        assert s.author == "office"
        s.record_visit({"household": "H02", "outcome": "met", "note": TRICKY_NOTE, "findings": [
            {"role": "service", "category": "micro_wish", "asked": "想要一副老花镜"},
            {"role": "data", "category": "people", "asked": "儿子搬回来住", "proposed": {"people": 4}},
        ]})
        s.record_visit({"household": "H03", "outcome": "no_answer", "mode": "door"})
        s.set_finding_status("F1", "referred", "燃气公司上门", to="街道燃气站")
        wish = next(iter(s.state.entities["wish"]))
        s.set_wish_state(wish, "claimed", claimed_by="社区党员 王磊")
    return home


def state_of(home):
    with Store.open(office_store(home), unlock=unlock) as s:
        return s.state


def exports_on_record(home) -> list[dict]:
    return sensitive_exports(home, unlock=unlock)


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def public(ent: dict) -> dict:
    return {k: v for k, v in ent.items() if not k.startswith("_")}


def test_csv_round_trip(office, tmp_path):
    out = tmp_path / "export"
    res = ok(cli(office, "office", "export", "--to", out, "--include-sensitive"))
    *files, last = res.output.splitlines()
    assert files == ["households.csv：3 行", "visits.csv：3 行", "findings.csv：3 行", "wishes.csv：1 行"]
    assert last.startswith(SENSITIVE_LINE)
    ents = state_of(office).entities
    grid_of = {"H01": "G01", "H02": "G01", "H03": "G02"}

    households = read_csv(out / "households.csv")
    assert list(households[0]) == ["id", "grid", "compound_id", "compound", "building_id", "building", "unit",
                                   "floor", "room", "head", "phone", "id_number", "people", "tags", "moved_out"]
    assert [r["id"] for r in households] == ["H01", "H02", "H03"]
    for r in households:
        h = ents["household"][r["id"]]
        assert r["head"] == h["head"] and r["phone"] == h["phone"] and r["room"] == h["room"]
        assert r["id_number"] == h["id_number"] == ID_NUMBERS[r["id"]]
        assert (r["tags"].split("、") if r["tags"] else []) == h["tags"]
        assert (int(r["unit"]), int(r["floor"]), int(r["people"])) == (h["unit"], h["floor"], h["people"])
        assert r["building_id"] == h["building"] and r["grid"] == grid_of[r["id"]]
        assert (r["compound_id"], r["compound"]) == ("X01", "幸福里小区")
    assert households[0]["tags"] == "elderly_alone" and households[0]["head"] == "张建华"
    assert households[2]["building"] == "2栋"
    assert households[2]["moved_out"] == ""  # small_roster() never says; a field the record lacks is an empty cell

    for stem, kind in KINDS.items():
        rows = read_csv(out / f"{stem}.csv")
        assert [r["id"] for r in rows] == sorted(ents[kind]), stem
        assert list(rows[0]) == list(ex.COLUMNS[kind])
        if kind != "household":
            assert all(r["grid"] == grid_of[r["household"]] for r in rows)

    visits = {r["id"]: r for r in read_csv(out / "visits.csv")}
    assert {v["note"] for v in visits.values()} >= {TRICKY_NOTE, "身体尚好"}
    assert visits["V1"]["worker"] == "W01" and visits["V1"]["at"] == "2026-11-02T10:00:00+08:00"
    office_visits = [v for v in visits.values() if v["id"] != "V1"]
    assert {v["worker"] for v in office_visits} == {"office"}

    findings = {r["id"]: r for r in read_csv(out / "findings.csv")}
    f1 = findings["F1"]
    assert (f1["status"], f1["to"], f1["note"], f1["asked"]) == ("referred", "街道燃气站", "燃气公司上门", "燃气管老化")
    assert json.loads(f1["history"]) == ents["finding"]["F1"]["history"]
    assert json.loads(f1["history"])[-1]["status"] == "referred"
    data = next(r for r in findings.values() if r["role"] == "data")
    assert json.loads(data["proposed"]) == {"people": 4} and data["history"] == "" and data["due"] == ""
    assert {r["status"] for r in findings.values()} == {"referred", "open"}

    (wish,) = read_csv(out / "wishes.csv")
    w = ents["wish"][wish["id"]]
    assert (wish["title"], wish["state"], wish["claimed_by"]) == ("想要一副老花镜", "claimed", "社区党员 王磊")
    assert wish["finding"] == w["finding"] and findings[w["finding"]]["category"] == "micro_wish"
    assert json.loads(wish["history"]) == w["history"]


def test_jsonl_holds_the_records_whole(office, tmp_path):
    out = tmp_path / "export"
    res = ok(cli(office, "office", "export", "--to", out, "--format", "jsonl", "--include-sensitive"))
    assert [ln.split("：")[0] for ln in res.output.splitlines()[:-1]] == [f"{s}.jsonl" for s in KINDS]
    ents = state_of(office).entities
    for stem, kind in KINDS.items():
        raw = (out / f"{stem}.jsonl").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\\u" not in raw  # plain UTF-8, CJK as is
        lines = raw.decode("utf-8").splitlines()
        records = [json.loads(ln) for ln in lines]
        shape = {"history": []} if kind in HISTORIED else {}  # an unchanged record's history: empty, not left out
        assert records == [{**shape, **public(ents[kind][eid])} for eid in sorted(ents[kind])], stem
        assert not any(k.startswith("_") for r in records for k in r)
    findings = {json.loads(ln)["id"]: json.loads(ln) for ln in (out / "findings.jsonl").read_text("utf-8").splitlines()}
    assert findings["F1"]["history"][-1]["to"] == "街道燃气站"
    assert "张建华" in (out / "households.jsonl").read_text("utf-8")


def test_a_missing_folder_is_created_for_the_owner_only(office, tmp_path):
    out = tmp_path / "usb" / "2026-11"
    (tmp_path / "usb").mkdir()
    ok(cli(office, "office", "export", "--to", out))
    assert sorted(p.name for p in out.iterdir()) == ["findings.csv", "households.csv", "visits.csv", "wishes.csv"]
    if sys.platform != "win32":
        assert stat.S_IMODE(out.stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}


def test_export_again_replaces_the_files_with_the_same_bytes(office, tmp_path):
    out = tmp_path / "export"
    ok(cli(office, "office", "export", "--to", out))
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    ok(cli(office, "office", "export", "--to", out))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # no temp files left, same content


def test_a_file_in_place_of_the_folder_is_one_line(office, tmp_path):
    target = tmp_path / "export"
    target.write_text("not a folder", encoding="utf-8")
    line = one_error_line(cli(office, "office", "export", "--to", target))
    assert line.startswith("错误：") and str(target) in line and "不是文件夹" in line
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_a_missing_parent_is_one_line_and_creates_nothing(office, tmp_path):
    target = tmp_path / "no-usb-stick" / "export"
    line = one_error_line(cli(office, "office", "export", "--to", target))
    assert "上一级文件夹不存在" in line
    assert not (tmp_path / "no-usb-stick").exists()


def test_an_unwritable_folder_is_one_line(office, tmp_path, monkeypatch):
    def refuse(path, data):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(ex, "write_atomic", refuse)  # root ignores chmod, so refuse the write itself
    line = one_error_line(cli(office, "--lang", "en", "office", "export", "--to", tmp_path / "out"))
    assert line == f"Error: cannot write to {tmp_path / 'out' / 'households.csv'}: permission denied (check the file's or folder's permissions, or use another folder)"


def test_a_full_disk_is_one_line(office, tmp_path, monkeypatch):
    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex, "write_atomic", full)
    assert "磁盘已满" in one_error_line(cli(office, "office", "export", "--to", tmp_path / "out"))


def test_an_uninitialised_office_is_one_line(tmp_path):
    line = one_error_line(cli(tmp_path / "empty", "office", "export", "--to", tmp_path / "out"))
    assert "office init" in line
    assert not (tmp_path / "out").exists()


def test_households_csv_is_itself_a_roster(office, tmp_path):
    """Open in Excel, fix, and start again: the exported ledger reads back as a roster."""
    out = tmp_path / "export"
    ok(cli(office, "office", "export", "--to", out, "--include-sensitive"))  # a roster needs the names
    again = tmp_path / "new-office-pc"
    res = ok(cli(again, "office", "init", "--roster", out / "households.csv"))
    assert "2 个网格，2 栋楼，3 户" in res.output
    before, after = state_of(office).entities, state_of(again).entities
    keep = ("unit", "floor", "room", "head", "phone", "id_number", "people", "tags")
    assert ({h: [e[k] for k in keep] for h, e in after["household"].items()}
            == {h: [e[k] for k in keep] for h, e in before["household"].items()})
    assert {b["name"]: b["grid"] for b in after["building"].values()} == {"1栋": "G01", "2栋": "G02"}


# --- residents' personal data: masked unless asked for, and asking is on record ----------------------

PROPOSED_PHONE = "13655556666"


def full_values(home) -> list[str]:
    """Every household's full name, phone and ID number, and a phone a finding proposes."""
    hs = state_of(home).entities["household"].values()
    return [v for h in hs for v in (h["head"], h["phone"], h["id_number"])] + [PROPOSED_PHONE]


def exported_text(folder) -> str:
    return "".join(p.read_bytes().decode("utf-8-sig") for p in sorted(folder.iterdir()))


@pytest.fixture
def proposed_phone(office):
    """A worker heard a resident's new phone number: a data finding proposing it."""
    with Store.open(office_store(office), unlock=unlock) as s:
        s.record_visit({"household": "H03", "outcome": "met", "findings": [
            {"role": "data", "category": "phone", "asked": "换了新号码", "proposed": {"phone": PROPOSED_PHONE}}]})
    return office


def test_a_default_export_masks_names_phones_and_ids_and_leaves_out_care_tags(proposed_phone, tmp_path):
    office, out = proposed_phone, tmp_path / "export"
    res = ok(cli(office, "office", "export", "--to", out))
    assert res.output.splitlines()[-1].startswith(MASKED_LINE) and "--include-sensitive" in res.output
    text = exported_text(out)
    assert [v for v in full_values(office) if v in text] == []
    assert [tag for tag in privacy.CARE_TAGS if tag in text] == []

    rows = {r["id"]: r for r in read_csv(out / "households.csv")}
    assert {h: (r["head"], r["phone"], r["id_number"]) for h, r in rows.items()} == {
        "H01": ("张*华", "138****5678", "420*************3X"),
        "H02": ("刘*", "139****1111", "420*************21"),
        "H03": ("陈*强", "137****2222", "420*************83"),
    }
    # Ordinary tags stay: a spreadsheet still sorts rentals and veterans.
    assert {h: r["tags"] for h, r in rows.items()} == {"H01": "", "H02": "rental", "H03": "veteran"}
    (proposal,) = [r for r in read_csv(out / "findings.csv") if r["category"] == "phone"]
    assert json.loads(proposal["proposed"]) == {"phone": model.mask_phone(PROPOSED_PHONE)}
    # The rest of the records is all there.
    assert TRICKY_NOTE in {r["note"] for r in read_csv(out / "visits.csv")}
    # Nothing sensitive left the office, so there is nothing to record.
    assert exports_on_record(office) == []
    assert ok(cli(office, "office", "exports")).output.strip() == "没有含敏感信息的导出记录。"


def test_jsonl_is_masked_the_same_way(proposed_phone, tmp_path):
    office, out = proposed_phone, tmp_path / "export"
    ok(cli(office, "office", "export", "--to", out, "--format", "jsonl"))
    text = exported_text(out)
    assert [v for v in full_values(office) if v in text] == []
    assert [tag for tag in privacy.CARE_TAGS if tag in text] == []
    households = {r["id"]: r for r in map(json.loads, (out / "households.jsonl").read_text("utf-8").splitlines())}
    assert {h: (r["head"], r["phone"], r["id_number"], r["tags"]) for h, r in households.items()} == {
        "H01": ("张*华", "138****5678", "420*************3X", []),
        "H02": ("刘*", "139****1111", "420*************21", ["rental"]),
        "H03": ("陈*强", "137****2222", "420*************83", ["veteran"]),
    }
    findings = [json.loads(ln) for ln in (out / "findings.jsonl").read_text("utf-8").splitlines()]
    assert [f["proposed"] for f in findings if f["category"] == "phone"] == [{"phone": "136****6666"}]
    # Only personal data is masked: every other field is the record as the office holds it.
    ents = state_of(office).entities
    assert {h: {k: v for k, v in r.items() if k not in ("head", "phone", "id_number", "tags")}
            for h, r in households.items()} == {
        h: {k: v for k, v in public(e).items() if k not in ("head", "phone", "id_number", "tags")}
        for h, e in ents["household"].items()}
    assert exports_on_record(office) == []


def test_include_sensitive_exports_everything_and_is_on_record(proposed_phone, tmp_path):
    from gridtui.office.ledger import Ledger

    office, out = proposed_phone, tmp_path / "export"
    res = ok(cli(office, "office", "export", "--to", out, "--include-sensitive"))
    assert res.output.splitlines()[-1].startswith(SENSITIVE_LINE)
    text = exported_text(out)
    assert [v for v in full_values(office) if v not in text] == []
    rows = {r["id"]: r for r in read_csv(out / "households.csv")}
    assert {h: r["tags"].split("、") if r["tags"] else [] for h, r in rows.items()} == TAGS
    assert {h: r["id_number"] for h, r in rows.items()} == ID_NUMBERS

    with Store.open(office_store(office), unlock=unlock, load=False) as s, Ledger.open(s) as ledger:
        (entry,) = ledger.exports()
    assert entry["to"] == str(out.absolute()) and entry["format"] == "csv"
    assert entry["files"] == ["households.csv", "visits.csv", "findings.csv", "wishes.csv"]
    assert entry["user"] and entry["host"] and entry["at"]

    listed = [ln for ln in ok(cli(office, "office", "exports")).output.splitlines() if ln.strip()]
    assert len(listed) == 1 and str(out.absolute()) in listed[0] and entry["at"] in listed[0]
    assert f"{entry['user']}@{entry['host']}" in listed[0]

    ok(cli(office, "office", "export", "--to", tmp_path / "masked"))  # a default export adds nothing
    assert exports_on_record(office) == [entry]


def test_a_sensitive_export_that_fails_is_on_record_too(office, tmp_path):
    target = tmp_path / "no-usb-stick" / "export"
    line = one_error_line(cli(office, "office", "export", "--to", target, "--include-sensitive"))
    assert "上一级文件夹不存在" in line
    assert [e["to"] for e in exports_on_record(office)] == [str(target.absolute())]


def test_cells():
    assert csvtext.cell(None) == "" and csvtext.cell(True) == "true" and csvtext.cell(3) == "3"
    assert csvtext.cell(["elderly_alone", "rental"]) == "elderly_alone、rental" and csvtext.cell([]) == ""
    assert csvtext.cell({"people": 4, "phone": "138"}) == '{"people":4,"phone":"138"}'
    assert csvtext.cell([{"status": "已办"}]) == '[{"status":"已办"}]'


def test_every_field_of_the_demo_has_a_column():
    state = fold(roster_events(json.loads(demo_data_path().read_text(encoding="utf-8"))))
    for kind, cols in ex.COLUMNS.items():
        fields = {k for r in ex.records(state, kind) for k in r}
        assert fields - set(cols) == set(), kind
    files = ex.export_files(state, "csv")
    assert [(name, n) for name, _, n in files] == [("households.csv", 640), ("visits.csv", 1660),
                                                   ("findings.csv", 571), ("wishes.csv", 22)]


def test_csv_cells_that_excel_would_run_as_formulas_are_defused():
    from gridtui.csvtext import defuse

    assert defuse('=HYPERLINK("http://x","点我")') == '\'=HYPERLINK("http://x","点我")'
    assert defuse("@SUM(A1)") == "'@SUM(A1)"
    assert defuse("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert defuse("+8613812345678") == "+8613812345678"
    assert defuse("-5") == "-5"
    assert defuse("楼道=飞线") == "楼道=飞线"


def test_every_exported_visit_finding_and_wish_has_a_history_even_if_nothing_changed():
    # The state keeps no empty history list (most records never change: 11 MB of a merge); what
    # is exported keeps its shape: a history, possibly empty, on every record that has one.
    from gridtui.events import fold, make_event
    from gridtui.office.export import records

    create = make_event([1, 0], "dev1", "W01", "visit", "V1", "create",
                        {"household": "H1", "mode": "door", "outcome": "met", "at": "2026-11-01T09:00:00", "worker": "W01"})
    change = make_event([2, 0], "dev1", "W01", "visit", "V2", "create",
                        {"household": "H1", "mode": "door", "outcome": "met", "at": "2026-11-02T09:00:00", "worker": "W01"})
    fix = make_event([3, 0], "dev1", "W01", "visit", "V2", "set", {"note": "补记", "corrected": True, "changed": "2026-11-02T10:00:00"})
    state = fold([create, change, fix])
    assert "history" not in state.entities["visit"]["V1"]
    rows = {r["id"]: r for r in records(state, "visit", sensitive=True)}
    assert rows["V1"]["history"] == [] and len(rows["V2"]["history"]) == 1
