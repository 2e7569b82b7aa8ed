"""Rosters as tables: a CSV (Chinese or English header, with Excel's BOM) or an Excel workbook (.xlsx)
read into the same office store, and every mistake in them told in one line with where it is."""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import unlock
from gridtui.cli import main
from gridtui.home import office_store
from gridtui.office.roster_csv import RosterFileError, load_roster
from gridtui.store import Store

ZH_HEADER = ["网格", "小区", "楼栋", "单元", "楼层", "房号", "户主", "电话", "身份证号", "人数", "标签"]
EN_HEADER = ["grid", "compound", "building", "unit", "floor", "room", "head", "phone", "id_number", "people", "tags"]
ROWS = [
    ["G01", "幸福里小区", "1栋", "1", "3", "302", "张建华", "13812345678", "42010619500101123X", "1", "独居老人"],
    ["G01", "幸福里小区", "1栋", "1", "", "401", "刘芳", "13900001111", "420106198203154521", "3", ""],
    ["G02", "江畔花园", "3栋", "2", "", "101", "陈国强", "13700002222", "", "2", "出租屋、退役军人"],
    ["G02", "江畔花园", "3栋", "2", "", "1504", "李娜", "13700003333", "", "", "rental low_income"],
]
# The same cells as a spreadsheet holds them: numbers typed as numbers, floats where Excel makes them.
XLSX_ROWS = [
    ["G01", "幸福里小区", "1栋", 1, 3.0, 302, "张建华", 13812345678, "42010619500101123X", 1, "独居老人"],
    ["G01", "幸福里小区", "1栋", 1.0, None, 401, "刘芳", 13900001111, "420106198203154521", 3, None],
    ["G02", "江畔花园", "3栋", 2, None, "101", "陈国强", 13700002222, None, 2.0, "出租屋、退役军人"],
    ["G02", "江畔花园", "3栋", 2, None, 1504, " 李娜 ", 13700003333.0, None, None, "rental low_income"],
]


def cli(home, *args):
    return CliRunner().invoke(main, ["--home", str(home), *[str(a) for a in args]])


def write_csv(path, header, rows, bom=True):
    text = "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def write_xlsx(path, header, rows, gap_before_last=False):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(header)
    for i, row in enumerate(rows):
        if gap_before_last and i == len(rows) - 1:
            sheet.append([])  # an empty row in the middle, as people leave them
        sheet.append(row)
    other = book.create_sheet("说明")  # only the first sheet is the roster
    other.append(["这张表不是花名册"])
    book.save(path)
    return path


def office_entities(home) -> dict:
    with Store.open(office_store(home), unlock=unlock) as s:
        ents = s.state.entities
        return {kind: {eid: {k: v for k, v in e.items() if not k.startswith("_")} for eid, e in ents[kind].items()}
                for kind in ("grid", "compound", "building", "household")}


def init(home, roster):
    res = cli(home, "office", "init", "--roster", roster)
    assert res.exit_code == 0, (res.output, res.exception)
    assert res.output.startswith("已建立办公室数据：2 个网格，2 栋楼，4 户"), res.output
    return office_entities(home)


def one_error_line(res) -> str:
    assert res.exit_code == 2, (res.output, res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：") and "Traceback" not in res.output, res.output
    return lines[0]


@pytest.fixture
def expected(tmp_path):
    return init(tmp_path / "from-zh-csv", write_csv(tmp_path / "台账.csv", ZH_HEADER, ROWS))


def test_chinese_csv_with_bom(expected):
    hs = expected["household"]
    assert sorted(hs) == ["H0001", "H0002", "H0003", "H0004"]
    assert [(h["head"], h["room"], h["floor"], h["unit"], h["people"]) for h in (hs[k] for k in sorted(hs))] == [
        ("张建华", "302", 3, 1, 1), ("刘芳", "401", 4, 1, 3), ("陈国强", "101", 1, 2, 2), ("李娜", "1504", 15, 2, 1)]
    assert [hs[k]["tags"] for k in sorted(hs)] == [["elderly_alone"], [], ["rental", "veteran"], ["rental", "low_income"]]
    assert hs["H0001"]["id_number"] == "42010619500101123X" and hs["H0002"]["phone"] == "13900001111"
    assert {b["id"]: (b["name"], b["compound"], b["grid"]) for b in expected["building"].values()} == {
        "B01": ("1栋", "X01", "G01"), "B02": ("3栋", "X02", "G02")}
    assert {c["name"] for c in expected["compound"].values()} == {"幸福里小区", "江畔花园"}
    assert sorted(expected["grid"]) == ["G01", "G02"]
    assert [hs[k]["building"] for k in sorted(hs)] == ["B01", "B01", "B02", "B02"]


def test_english_csv_with_bom_and_columns_in_another_order(tmp_path, expected):
    order = [10, 0, 6, 1, 2, 5, 3, 4, 7, 8, 9]
    header = [EN_HEADER[i].title() if i % 2 else EN_HEADER[i] for i in order]  # Grid, head, … any case
    rows = [[r[i] for i in order] for r in ROWS]
    assert init(tmp_path / "from-en-csv", write_csv(tmp_path / "ledger.csv", header, rows)) == expected


def test_xlsx_with_numbers_reads_as_the_same_csv(tmp_path, expected):
    path = write_xlsx(tmp_path / "台账.xlsx", ZH_HEADER, XLSX_ROWS, gap_before_last=True)
    assert init(tmp_path / "from-xlsx", path) == expected
    # And straight from the reader: the same roster as the CSV's, cell for cell.
    as_csv = load_roster(write_csv(tmp_path / "台账.csv", ZH_HEADER, ROWS))
    assert load_roster(path) == as_csv


def test_xlsx_with_english_header(tmp_path, expected):
    path = write_xlsx(tmp_path / "ledger.xlsx", EN_HEADER, XLSX_ROWS)
    assert init(tmp_path / "from-xlsx-en", path) == expected


def _bad(rows, at, col, value):
    rows = [list(r) for r in rows]
    rows[at][ZH_HEADER.index(col)] = value
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "col, value, words",
    [
        ("标签", "独居老人、富豪", ["第 4 行", "富豪"]),
        ("人数", "三", ["第 4 行", "人数", "三"]),
        ("单元", "2单元", ["第 4 行", "单元"]),
        ("户主", "", ["第 4 行", "户主", "为空"]),
    ],
)
def test_a_bad_cell_is_one_line_with_its_line_number(tmp_path, fmt, col, value, words):
    rows = _bad(ROWS if fmt == "csv" else XLSX_ROWS, 2, col, value)  # the third household: line 4
    path = (write_csv(tmp_path / "r.csv", ZH_HEADER, rows) if fmt == "csv"
            else write_xlsx(tmp_path / "r.xlsx", ZH_HEADER, rows))
    line = one_error_line(cli(tmp_path / "home", "office", "init", "--roster", path))
    assert all(w in line for w in words), line
    assert not Store.exists(office_store(tmp_path / "home"))  # nothing created


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_missing_column_is_named(tmp_path, fmt):
    keep = [i for i, h in enumerate(ZH_HEADER) if h not in ("户主", "房号")]
    header, rows = [ZH_HEADER[i] for i in keep], [[r[i] for i in keep] for r in ROWS]
    path = write_csv(tmp_path / "r.csv", header, rows) if fmt == "csv" else write_xlsx(tmp_path / "r.xlsx", header, rows)
    line = one_error_line(cli(tmp_path / "home", "office", "init", "--roster", path))
    assert "缺少列：房号、户主" in line and path.name in line


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_duplicate_household_ids_name_both_lines(tmp_path, fmt):
    header = [*ZH_HEADER, "编号"]
    rows = [[*r, hid] for r, hid in zip(ROWS if fmt == "csv" else XLSX_ROWS, ["A1", "A2", "A3", "A2"])]
    path = write_csv(tmp_path / "r.csv", header, rows) if fmt == "csv" else write_xlsx(tmp_path / "r.xlsx", header, rows)
    line = one_error_line(cli(tmp_path / "home", "office", "init", "--roster", path))
    assert "第 5 行" in line and "A2" in line and "第 3 行" in line


def test_given_ids_are_kept(tmp_path):
    header = [*ZH_HEADER, "编号"]
    path = write_xlsx(tmp_path / "r.xlsx", header, [[*r, f"HX{i}"] for i, r in enumerate(XLSX_ROWS)])
    assert sorted(load_roster(path)["households"][i]["id"] for i in range(4)) == ["HX0", "HX1", "HX2", "HX3"]


def test_cells_read_as_a_csv_would_hold_them():
    import datetime as dt

    from gridtui.office.roster_csv import _cell

    assert [_cell(v, 2, "x") for v in (302, 302.0, 13812345678.0, 3.5, None, "  张三 ", True)] == [
        "302", "302", "13812345678", "3.5", "", "张三", "TRUE"]
    assert _cell(dt.datetime(2026, 11, 2), 2, "x") == "2026-11-02"
    assert _cell(dt.datetime(2026, 11, 2, 9, 30), 2, "x") == "2026-11-02T09:30:00"


@pytest.mark.parametrize("number", [4.20106198203155e17, 420106198203154521])
def test_an_id_number_typed_as_a_number_is_refused(tmp_path, number):
    # An 18-digit ID typed as a number keeps only 15 significant digits in Excel (4.20106198203155E+17),
    # and openpyxl too writes it as a float: the last digits are gone either way.
    rows = _bad(XLSX_ROWS, 1, "身份证号", number)
    line = one_error_line(cli(tmp_path / "home", "office", "init", "--roster",
                              write_xlsx(tmp_path / "r.xlsx", ZH_HEADER, rows)))
    assert "第 3 行" in line and "身份证号" in line and "文本" in line


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("坏的.xlsx", b"PK\x03\x04 not really a zip", "无法读取 Excel 花名册"),
        ("text.xlsx", "网格,小区\n".encode(), "无法读取 Excel 花名册"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("gbk.csv", ",".join(ZH_HEADER).encode("gbk"), "UTF-8"),
        ("huge.csv", ("网格,小区\n\n\"" + "长" * 200_000 + "\"\n").encode(), "第 3 行无法读取"),
    ],
)
def test_unreadable_files_are_one_line(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    line = one_error_line(cli(tmp_path / "home", "office", "init", "--roster", path))
    assert words in line, line


def test_a_workbook_without_a_header_row_lists_the_columns(tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [], [])
    with pytest.raises(RosterFileError) as err:
        load_roster(path)
    assert err.value.key == "roster.missing_columns"


def test_openpyxl_is_loaded_only_for_a_workbook(tmp_path):
    """Every other command stays fast: importing the CLI or reading a CSV roster leaves openpyxl out."""
    csv_path = write_csv(tmp_path / "r.csv", ZH_HEADER, ROWS)
    code = (
        "import sys, gridtui.cli, gridtui.office.commands, gridtui.office.export\n"
        "from gridtui.office.roster_csv import load_roster\n"
        f"load_roster({str(csv_path)!r})\n"
        "print(json.dumps('openpyxl' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False
