"""`a4pbot report --format html|pdf`: the dashboard's look on paper. The HTML is one
self-contained file (stylesheet and SVG chart inline, nothing fetched); the PDF is that HTML
laid out on A4 by WeasyPrint (loaded only for a PDF: ~1 s)."""

from __future__ import annotations

from typing import Any

from bot.answering.catalogue import Catalogue
from .pages import render


def html(briefing: Any, catalogue: Catalogue) -> str:
    """The briefing as a page. `briefing` is `briefing.Briefing` (its areas' counts, latest
    updates and silent commitments); any filters it carries are shown as they are."""
    rows = [(f"{a.id} {a.name}", a.segments) for a in briefing.areas]
    silent = [a for a in briefing.areas if a.stale]
    return render("report.html", briefing=briefing, chart_rows=rows,
                  silent=silent, catalogue=catalogue,
                  latest=sorted((u for a in briefing.areas for u in a.latest),
                                key=lambda u: u.created_at, reverse=True))


def pdf(briefing: Any, catalogue: Catalogue) -> bytes:
    from weasyprint import HTML

    return HTML(string=html(briefing, catalogue)).write_pdf()


def render_report(briefing: Any, catalogue: Catalogue, fmt: str) -> bytes:
    return pdf(briefing, catalogue) if fmt == "pdf" else html(briefing, catalogue).encode("utf-8")
