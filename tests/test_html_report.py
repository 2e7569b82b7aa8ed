"""The printable monthly report (issue 16): `office report --format html` — one page, nothing from
the network, every figure on it the one `--format json` gives; rendered and printed to PDF in a
real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from conftest import TEST_PIN
from gridtui.cli import main
from test_report import PERIOD, cli, init_office, ok

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    base = tmp_path_factory.mktemp("html")
    home = init_office(base / "home")
    env = {"GRIDTUI_PIN": TEST_PIN}
    page = base / "report.html"
    ok(CliRunner().invoke(main, ["--home", str(home), "office", "report", *PERIOD, "--format", "html", "-o", str(page)],
                          env=env))
    figures = json.loads(ok(CliRunner().invoke(main, ["--home", str(home), "office", "report", *PERIOD, "--format",
                                                      "json"], env=env)).stdout)
    figures["referrals"] = json.loads(ok(CliRunner().invoke(
        main, ["--home", str(home), "office", "referrals", *PERIOD, "--format", "json"], env=env)).stdout)["units"]
    return page, figures


class Figures(HTMLParser):
    """The cells marked data-figure, with the text they show."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._at: str | None = None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self._at = dict(attrs).get("data-figure")

    def handle_data(self, data):  # noqa: ANN001
        if self._at is not None:
            self.found[self._at] = self.found.get(self._at, "") + data

    def handle_endtag(self, tag):  # noqa: ANN001
        self._at = None


def shown(html: str) -> dict[str, str]:
    p = Figures()
    p.feed(html)
    return p.found


def value_at(figures: dict, path: str):  # noqa: ANN201
    at = figures
    for part in path.split("."):
        at = at[int(part)] if isinstance(at, list) else at[part]
    return at


def as_shown(path: str, v) -> str:  # noqa: ANN001
    if v is None:
        return "-"
    if path.endswith(("coverage", "_rate")):
        return f"{v * 100:.1f}%"
    if path.endswith("progress"):
        return f"{v}%"
    return f"{v:g}" if isinstance(v, float) else str(v)


def check_figures(html: str, figures: dict) -> int:
    cells = shown(html)
    assert len(cells) > 40
    for path, text in cells.items():
        assert text.strip() == as_shown(path, value_at(figures, path)), path
    return len(cells)


def test_every_figure_on_the_page_is_the_jsons_and_nothing_comes_from_the_network(made):
    page, figures = made
    html = page.read_text(encoding="utf-8")
    n = check_figures(html, figures)
    assert {"total.coverage", "grids.0.coverage", "total.by_role.safety.satisfaction_rate",
            "referrals.0.median_days"} <= set(shown(html)) and n
    assert shown(html)["total.by_role.safety.satisfaction_rate"] == "66.7%"
    # Self-contained: no script, no link, no src; the browser is told to load nothing.
    assert "<script" not in html and not re.search(r"\b(src|href)=", html)
    assert "default-src 'none'" in html and "@media print" in html and "A4" in html
    assert html.count("<svg") >= 3  # coverage, findings by role, satisfaction, referral units


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); .ci/run installs it")
def test_the_page_renders_and_prints_in_headless_chromium(made, tmp_path):
    page, figures = made
    profile = tmp_path / "profile"
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=90)
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_figures(dom.stdout, figures)  # what the browser built from the page holds the same figures
    pdf = tmp_path / "report.pdf"
    printed = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                              f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, text=True, timeout=90)
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000
    # A4 landscape, as the print stylesheet asks: every page box is 842 × 595 points.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 842) < 1 and abs(float(h) - 595) < 1 for w, h in boxes), boxes


def test_html_refuses_the_household_lists(made, tmp_path):
    res = cli(tmp_path, "office", "report", "--format", "html", "--vulnerable")
    assert res.exit_code != 0 and "Traceback" not in res.output
