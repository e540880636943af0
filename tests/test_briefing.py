"""Briefings on both databases: counts, scopes (area, mission, period), silent commitments,
every format through `a4pbot report` (each file opened: PNG size, SVG parsed, XLSX sheets,
chart, filters, frozen headers and a hostile cell), the chart in three languages (no glyph
missing, nothing clipped, no log record), the font cache rebuilt for a CJK font, and /brief in
the console (its chart saved, the dashboard linked)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.briefing import chart, summary
from bot.cli.main import main
from bot.cli.operations import REPORT_FORMATS
from bot.conversation import i18n
from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.settings import Settings
from bot.storage.store import Store
from bot.transports.console import chat
from test_hostile import _assert_no_formula

ADMIN = Sender("telegram", "1", "Admin")
PNG = b"\x89PNG\r\n\x1a\n"
HOSTILE = "=cmd|' /C calc'!A0"
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # renders: one database


@pytest.fixture
def seeded(desk: Assistant, clock) -> Assistant:
    for command in ("/update C12 进行中 女性警官比例升至18%", "/update C13 已完成 <script>x</script>",
                    "/update C20 受阻 经费不足"):
        assert "已记录" in desk.respond(command, None, ADMIN).plain()
    clock.advance(days=100)
    assert "已记录" in desk.respond("/update C12 已完成 目标达成", None, ADMIN).plain()
    return desk


@pytest.fixture
def missions(seeded: Assistant) -> Assistant:
    """Two updates in area A6 (2027-03-05), one per mission; the one for UNMISS is hostile."""
    for mission, command in (("UNMISS", f"/update C30 进行中 {HOSTILE}"),
                             ("MINUSCA", "/update C31 受阻 pas de carburant")):
        assert mission in seeded.respond(f"/mission {mission}", None, ADMIN).plain()
        assert "已记录" in seeded.respond(command, None, ADMIN).plain()
    return seeded


def test_counts_follow_each_commitments_latest_update(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    by_id = {a.id: a for a in report.areas}
    area12 = seeded.catalogue.commitments["C12"].area
    assert by_id[area12].counts["done"] >= 1 and by_id[area12].counts["in_progress"] == 0
    stale = {cid for a in report.areas for cid, *_ in a.stale}
    assert "C13" in stale and "C20" in stale and "C12" not in stale and "C1" in stale
    assert sum(a.commitments for a in report.areas) == 45


def test_scope_limits_counts_latest_updates_and_silence(missions: Assistant) -> None:
    def build(**scope) -> summary.Briefing:
        return summary.build(missions.store, missions.catalogue, summary.Scope(**scope))

    unmiss = build(mission="unmiss")  # any case
    assert {u.commitment_id for u in unmiss.updates} == {"C30"}
    counted = {a.id: a.counts for a in unmiss.areas if a.with_updates}
    assert counted == {"A6": {"not_started": 0, "in_progress": 1, "done": 0, "blocked": 0}}
    assert {c.id for c in unmiss.commitments if not c.silent} == {"C30"}
    recent = build(since=datetime(2027, 1, 1, tzinfo=UTC))
    assert {u.commitment_id for u in recent.updates} == {"C12", "C30", "C31"}
    before = build(until=datetime(2027, 1, 1, tzinfo=UTC))  # C12 was in progress then
    assert {a.id: a.counts["in_progress"] for a in before.areas}["A2"] == 1
    silent_then = {c.id for c in before.commitments if c.silent}
    assert "C12" not in silent_then and "C30" in silent_then  # silence counted to the period's end
    a6 = build(area="A6")
    assert [a.id for a in a6.areas] == ["A6"] and len(a6.updates) == 2
    assert {c.area for c in a6.commitments} == {"A6"}


def test_markdown_and_html_show_stored_text_as_text(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    md = summary.markdown(report)
    assert "<script>" not in md
    page = summary.render(report, seeded.catalogue, "html").decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page


def test_silent_list_is_grouped_by_area_counts_first(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    silent = sum(len(a.stale) for a in report.areas)
    md = summary.markdown(report).split(f"## 90 天无更新的承诺: {silent}\n")[1]
    counts, details = md.split("\n### ", 1)
    assert "| A3 保护 | 3 |" in counts and "C13" not in counts  # a count per area first
    assert details.startswith("A1 ") and "### A3 保护 (3)\n\n- C13 " in md


def test_brief_and_stale_in_chat(seeded: Assistant) -> None:
    brief = seeded.respond("/brief", None, ADMIN)
    assert brief.heading == "A4P 进展简报" and len(brief.body) == 8
    assert brief.files[0].filename.endswith(".png") and brief.files[0].data.startswith(PNG)
    assert "A2" in seeded.respond("/brief A2", None, ADMIN).heading
    assert "不是优先领域" in seeded.respond("/brief A9", None, ADMIN).plain()
    stale = seeded.respond("/stale 30", None, ADMIN).plain()
    assert "C13" in stale and "C12 " not in stale
    assert "1–3650" in seeded.respond("/stale many", None, ADMIN).plain()


@SQLITE
def test_report_xlsx_has_sheets_chart_filters_and_safe_cells(missions: Assistant, tmp_path,
                                                              monkeypatch, db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "brief.xlsx"
    assert main(["report", "--format", "xlsx", "--from", "2027-01-01", "--out", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["概览", "承诺", "进展", "90 天无更新"]
    overview = book["概览"]
    [bars] = overview._charts
    assert (bars.type, bars.grouping, len(bars.series)) == ("bar", "stacked", 5)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        _assert_no_formula(sheet)
    assert [r[0] for r in overview.iter_rows(min_row=2, max_row=9, values_only=True)] == \
        [f"A{n}" for n in range(1, 9)]
    assert book["承诺"].max_row == 46  # every commitment, with its latest status
    updates = {row[2]: row for row in book["进展"].iter_rows(min_row=2, values_only=True)}
    assert set(updates) == {"C12", "C30", "C31"} and updates["C30"][5] == HOSTILE
    assert isinstance(updates["C30"][1], datetime)  # a real date, sortable in Excel


@SQLITE
def test_report_png_svg_md_with_filters_and_default_names(missions: Assistant, tmp_path, capsys,
                                                          monkeypatch, db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--format", "png", "--area", "a6", "--mission", "MINUSCA",
                 "--from", "2027-01-01", "--to", "2027-12-31"]) == 0
    written = capsys.readouterr().out.strip().splitlines()[-1]
    assert written == f"a4p-briefing-{datetime.now(UTC):%Y-%m-%d}-A6-MINUSCA.png"
    with Image.open(tmp_path / written) as image:
        assert image.format == "PNG" and image.width == 1200 and 250 < image.height < 400
    assert main(["report", "--format", "svg", "--mission", "UNMISS", "--out", "-"]) == 0
    svg = ElementTree.fromstring(capsys.readouterr().out)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("width") == "576pt"
    assert main(["report", "--mission", "UNMISS", "--to", "2027-12-31"]) == 0
    md = (tmp_path / capsys.readouterr().out.strip()).read_text(encoding="utf-8")
    assert md.startswith("# A4P 进展简报") and "任务区：UNMISS，进展时间：… 至 2027-12-31" in md
    assert "pas de carburant" not in md and "C30 进行中 — " in md
    assert "\\=cmd" not in md and "=cmd\\|" in md  # a table cell cannot be split by it


def test_report_cli_refuses_bad_requests(seeded: Assistant, monkeypatch, capsys,
                                         db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["report", "--format", "md", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("# A4P 进展简报")
    assert main(["report", "--area", "A9", "--out", "-"]) == 2
    assert main(["report", "--format", "png", "--out", "-"]) == 2
    assert main(["report", "--from", "2027-02-01", "--to", "2027-01-01", "--out", "-"]) == 2
    errors = capsys.readouterr().err
    assert "no area A9" in errors and "standard output" in errors and "--from is after --to" in errors
    assert REPORT_FORMATS == summary.FORMATS  # the parser's list is the renderers'


@SQLITE
@pytest.mark.parametrize("language", ["zh", "en", "fr"])
def test_chart_fits_its_image_in_every_language(seeded: Assistant, language: str, tmp_path,
                                                caplog) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    with i18n.use(language), warnings.catch_warnings(), caplog.at_level(logging.INFO):
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        data = chart.render(report, seeded.catalogue, "png")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # none for a chat
    (tmp_path / f"chart-{language}.png").write_bytes(data)  # to look at
    with Image.open(io.BytesIO(data)) as image:
        pixels = image.convert("L")
        width, height = pixels.size
        border = [pixels.getpixel((x, y)) for x in range(width) for y in (0, 1, height - 2, height - 1)]
        border += [pixels.getpixel((x, y)) for y in range(height) for x in (0, 1, width - 2, width - 1)]
    assert min(border) == 255  # nothing drawn reaches the edge: no legend or label cut off


def test_chart_finds_a_cjk_font_installed_after_the_font_cache(tmp_path) -> None:
    """A fresh process whose matplotlib cache predates the CJK font: the cache is rebuilt."""
    import matplotlib
    from matplotlib.font_manager import FontManager

    if chart.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei)")
    name = f"fontlist-v{FontManager.__version__}.json"
    cache = json.loads(Path(matplotlib.get_cachedir(), name).read_text(encoding="utf-8"))
    cjk_files = {f["fname"] for f in cache["ttflist"] if f["name"] in chart.CJK_FONTS}
    cache["ttflist"] = [f for f in cache["ttflist"] if f["fname"] not in cjk_files]
    (tmp_path / name).write_text(json.dumps(cache), encoding="utf-8")  # as before the font came
    code = "from bot.briefing.chart import cjk_font; print(cjk_font())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLCONFIGDIR": str(tmp_path)})
    assert run.stdout.strip() == chart.cjk_font() and run.stderr == ""
    assert chart.cjk_font() in (tmp_path / name).read_text(encoding="utf-8")  # kept for next time


@SQLITE
def test_brief_in_the_console_saves_the_chart_and_links_the_dashboard(
        assistant: Assistant, store: Store, tmp_path) -> None:
    desk = assistant.with_store(store, frozenset({"console:ops"}),
                                public_url=Settings(a4p_public_url="https://a4p.example.org/a4p/")
                                .a4p_public_url)
    out = io.StringIO()
    chat(desk, io.StringIO("/brief\n"), out, Sender("console", "ops", "Ops"), directory=tmp_path)
    [chart_file] = tmp_path.glob("a4p-brief-*.png")
    assert chart_file.read_bytes().startswith(PNG)
    assert "实时看板：https://a4p.example.org/a4p/" in out.getvalue()
    assert f"已保存：{chart_file}]" in out.getvalue() and "a4pbot export" not in out.getvalue()
    out = io.StringIO()
    chat(desk, io.StringIO("/lang en\n/brief A2\n"), out, Sender("console", "ops", "Ops"),
         directory=tmp_path / "gone")
    assert "could not be saved in this directory: No such file or directory" in out.getvalue()


def test_public_url_is_checked() -> None:
    assert Settings(a4p_public_url="").a4p_public_url is None
    with pytest.raises(ValueError, match="expected an address such as https://"):
        Settings(a4p_public_url="javascript:alert(1)")
