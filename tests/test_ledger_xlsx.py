"""Quarterly ledgers in Excel (issue 16): read the written .xlsx back with openpyxl — headers, rows
per role and quarter, the diaries, the assessment, masking, and the print setup."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import TEST_PIN
from gridtui.cli import main
from test_report import cli, init_office, ok, roster


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    base = tmp_path_factory.mktemp("ledger")
    r = roster()
    r["visits"][0]["note"] = "=HYPERLINK(\"http://x\")"  # a resident's words that look like a formula
    home = init_office(base / "home", r)
    out = base / "out"
    res = CliRunner().invoke(main, ["--home", str(home), "office", "ledger", "--quarter", "2026Q4", "--to", str(out)],
                             env={"GRIDTUI_PIN": TEST_PIN})
    ok(res)
    return out, res.output


def rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_visit_ledger_has_a_sheet_per_role_with_that_roles_findings_of_the_quarter(written):
    out, _ = written
    wb = load_workbook(out / "走访台账-2026Q4.xlsx")
    assert wb.sheetnames == ["数据员", "信息员", "宣传员", "服务员", "调解员", "监督员", "安全员"]
    safety = rows(wb["安全员"])
    assert safety[0] == ["日期", "地点", "住户", "类别", "诉求", "措施", "结果", "状态", "网格员"]
    # Q4 safety findings: F01 (11-01), F06 (11-02), F02 (11-05), F04 (11-10), F07 (11-12), oldest first.
    assert [r[0] for r in safety[1:]] == ["2026-11-01", "2026-11-02", "2026-11-05", "2026-11-10", "2026-11-12"]
    f02 = safety[3]
    assert f02[1] == "1栋 1-102" and f02[2] == "刘*" and f02[4] == "楼道内电动车飞线充电"
    assert f02[7] == "已转办（幸福里物业公司）" and f02[8] == "李秀英"
    assert "基本满意" in safety[4][6]  # F04 closed with the resident's satisfaction
    # The info finding F09 was recorded on 10-20: in Q4, its sheet has it; Q3's would not.
    assert [r[0] for r in rows(wb["信息员"])[1:]] == ["2026-10-20"]
    ws = wb["安全员"]
    assert ws.freeze_panes == "A2" and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.print_title_rows == "$1:$1"
    assert ws.column_dimensions["E"].width >= 2 * len("楼道内电动车飞线充电")  # CJK counted as two


def test_each_worker_has_a_diary_and_nothing_names_a_resident_in_full(written):
    out, output = written
    names = sorted(p.name for p in out.iterdir())
    assert "民情日记-W01-李秀英-2026Q4.xlsx" in names and "民情日记-W02-王建国-2026Q4.xlsx" in names
    diary = rows(load_workbook(out / "民情日记-W02-王建国-2026Q4.xlsx").active)
    assert diary[0] == ["时间", "地点", "住户", "方式", "走访结果", "情况记录", "发现的问题"]
    assert [r[0][:10] for r in diary[1:]] == ["2026-10-20", "2026-11-02", "2026-11-12", "2026-11-15", "2026-11-16"]
    assert "宣传员·" in diary[1][6] and "咨询养老金" in diary[1][6]
    full = ["张建华", "刘芳", "陈国强", "王丽", "孙秀兰", "周伟", "吴军", "冯桂英"]
    for p in out.iterdir():
        for ws in load_workbook(p).worksheets:
            text = json.dumps(rows(ws), ensure_ascii=False, default=str)
            assert not any(n in text for n in full), (p.name, ws.title)
    # The formula-looking note is text, not a formula.
    w06 = load_workbook(out / "民情日记-W01-李秀英-2026Q4.xlsx").active
    cell = next(c for row in w06.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s"
    assert "打码" in output or "masked" in output


def test_the_assessment_has_the_reports_figures_per_worker(written):
    out, _ = written
    sheet = rows(load_workbook(out / "网格员考核-2026Q4.xlsx").active)
    assert sheet[0] == ["网格员", "网格", "户数", "已访户", "巡查覆盖率", "走访次数", "发现问题", "按期办结", "按期办结率",
                        "回访评价", "满意率"]
    by = {r[0]: r for r in sheet[1:]}
    # W02 in Q4: 5 visits; findings F09 (no, 10-20 is Q4: yes), F10, F06, F07, F08, F11 → 6 raised.
    assert by["王建国"][5] == 5 and by["王建国"][6] == 6
    # On time: F10 (no due, resolved 11-03), F06 (no due, 11-02), F08 (due 11-19, resolved 11-18) → 3.
    assert by["王建国"][7] == 3 and by["王建国"][8] == "50.0%"


def test_a_bad_quarter_is_one_sentence(tmp_path):
    res = cli(tmp_path, "office", "ledger", "--quarter", "2026Q5", "--to", tmp_path / "x")
    assert res.exit_code != 0 and "2026Q4" in res.output and "Traceback" not in res.output


def test_a_big_quarter_is_written_by_several_processes_to_the_same_bytes(tmp_path, monkeypatch):
    from gridtui.events import fold
    from gridtui.ledgers import quarter
    from gridtui.office import workbook
    from gridtui.roster import roster_events

    state = fold(roster_events(roster()))
    since, until = quarter("2026Q4")
    alone = workbook.ledger_files(state, "2026Q4", since, until)
    monkeypatch.setattr(workbook, "PARALLEL_ROWS", 0)
    pooled = workbook.ledger_files(state, "2026Q4", since, until)
    assert [(n, rows) for n, _, rows in pooled] == [(n, rows) for n, _, rows in alone]
    assert [members(data) for _, data, _ in pooled] == [members(data) for _, data, _ in alone]


def members(xlsx: bytes) -> dict[str, bytes]:
    """What a workbook holds, but the time it was saved (in its zip entries and its properties)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}
