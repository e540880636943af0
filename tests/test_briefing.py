"""Briefings on both databases: counts, silent commitments, every format, and the chart's
Chinese labels (no missing glyphs) — through the chat, Telegram and the CLI."""

from __future__ import annotations

import io
import warnings

import pytest
from openpyxl import load_workbook

from bot.briefing import summary
from bot.conversation.assistant import Assistant
from bot.cli.main import main
from bot.conversation.identity import Sender
from bot.storage.store import Store

ADMIN = Sender("telegram", "1", "Admin")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def seeded(desk: Assistant, clock) -> Assistant:
    for command in ("/update C12 进行中 女性警官比例升至18%", "/update C13 已完成 <script>x</script>",
                    "/update C20 受阻 经费不足"):
        assert "已记录" in desk.respond(command, None, ADMIN).plain()
    clock.advance(days=100)
    assert "已记录" in desk.respond("/update C12 已完成 目标达成", None, ADMIN).plain()
    return desk


def test_counts_follow_each_commitments_latest_update(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    by_id = {a.id: a for a in report.areas}
    area12 = seeded.catalogue.commitments["C12"].area
    assert by_id[area12].counts["done"] >= 1 and by_id[area12].counts["in_progress"] == 0
    stale = {cid for a in report.areas for cid, *_ in a.stale}
    assert "C13" in stale and "C20" in stale and "C12" not in stale and "C1" in stale
    assert sum(a.commitments for a in report.areas) == 45


def test_markdown_and_html_show_stored_text_as_text(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    md = summary.markdown(report)
    assert "## 90 天无更新的承诺" in md and "<script>" not in md
    page = summary.to_html(report)
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page


def test_xlsx_has_areas_and_stale_sheets(seeded: Assistant) -> None:
    book = load_workbook(io.BytesIO(summary.to_xlsx(summary.build(seeded.store, seeded.catalogue))))
    assert book.sheetnames == ["areas", "stale"]
    assert [row[0] for row in book["areas"].iter_rows(min_row=2, values_only=True)] == \
        [f"A{n}" for n in range(1, 9)]


def test_chart_is_a_png_with_every_glyph(seeded: Assistant) -> None:
    report = summary.build(seeded.store, seeded.catalogue)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        image = summary.chart(report, seeded.catalogue)
    assert image.startswith(PNG) and len(image) > 10_000


def test_brief_and_stale_in_chat(seeded: Assistant) -> None:
    brief = seeded.respond("/brief", None, ADMIN)
    assert brief.heading == "A4P 进展简报" and len(brief.body) == 8
    assert brief.files[0].filename.endswith(".png") and brief.files[0].data.startswith(PNG)
    assert "A2" in seeded.respond("/brief A2", None, ADMIN).heading
    assert "不是优先领域" in seeded.respond("/brief A9", None, ADMIN).plain()
    stale = seeded.respond("/stale 30", None, ADMIN).plain()
    assert "C13" in stale and "C12 " not in stale
    assert "1–3650" in seeded.respond("/stale many", None, ADMIN).plain()


def test_report_cli_every_format(seeded: Assistant, store: Store, tmp_path, capsys,
                                 monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["report", "--format", "md", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("# A4P 进展简报")
    for fmt, magic in (("png", PNG), ("xlsx", b"PK"), ("html", b"<!doctype html>")):
        out = tmp_path / f"brief.{fmt}"
        assert main(["report", "--area", "A2", "--format", fmt, "--out", str(out)]) == 0
        assert out.read_bytes().startswith(magic)
    assert main(["report", "--area", "A9", "--out", "-"]) == 2
    assert main(["report", "--format", "png", "--out", "-"]) == 2
