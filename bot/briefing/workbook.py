"""The briefing as an Excel workbook, for staff who sort, filter and paste into their own slides.

Four sheets: the summary per area with a native Excel chart (stacked bars in the PNG
chart's colours and patterns, so both print alike in grey), every commitment's latest status,
the updates in scope and the silent commitments. Each has its header frozen and an
auto-filter. Texts, names and missions are typed by chat users, so every row goes through
`append_safe`: a cell that looks like a formula is kept as text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.answering.catalogue import Catalogue
from bot.conversation.i18n import t
from bot.conversation.replies import joined
from bot.desk.statuses import status_label
from bot.desk.sanitise import append_safe
from bot.storage.updates import ProgressUpdate

from .chart import SERIES, legend_label
from .summary import Briefing, scope_words

# Excel's preset patterns standing in for the PNG chart's hatches (same status, same look)
PATTERNS = {"in_progress": "wdUpDiag", "blocked": "diagCross", "none": "pct20"}
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
DAY, MINUTE = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"


def to_xlsx(briefing: Briefing, catalogue: Catalogue) -> bytes:
    """The workbook's bytes, its words in the current language."""
    book = Workbook()
    summary = book.active
    summary.title = t("briefing.sheet_summary")
    _summary(summary, briefing)
    _commitments(book.create_sheet(t("briefing.sheet_commitments")), briefing)
    _updates(book.create_sheet(t("briefing.sheet_updates")), briefing, catalogue)
    _silent(book.create_sheet(t("briefing.sheet_silent", days=briefing.stale_days)), briefing)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary(sheet: Worksheet, briefing: Briefing) -> None:
    _table(sheet, [t("briefing.area"), t("briefing.col_name"), *(legend_label(s.status) for s in SERIES),
                   t("briefing.col_total"), t("briefing.col_silent", days=briefing.stale_days)],
           [(a.id, a.name, *(a.segments[s.status] for s in SERIES),
             a.commitments, len(a.stale)) for a in briefing.areas],
           widths=(8, 34, 12, 12, 12, 12, 14, 12, 16))
    rows = len(briefing.areas)
    notes = [t("briefing.generated", at=f"{briefing.generated:%Y-%m-%d %H:%M}"),
             *scope_words(briefing)]
    sheet.append([])
    for note in notes:  # a mission is typed by users
        append_safe(sheet, [note])
    sheet.add_chart(_bar_chart(sheet, rows), f"A{sheet.max_row + 2}")


def _bar_chart(sheet: Worksheet, rows: int) -> BarChart:
    """Stacked horizontal bars per area, a count on each segment (zeros hidden)."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "stacked", 100, 60
    chart.title = t("briefing.chart_title")
    chart.y_axis.title = t("briefing.commitments")
    chart.x_axis.scaling.orientation = "maxMin"  # A1 on top, as in the table
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.add_data(Reference(sheet, min_col=3, max_col=2 + len(SERIES), min_row=1,
                             max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=rows + 1))
    for series, style in zip(chart.series, SERIES):
        fill = style.colour.lstrip("#")
        props = series.graphicalProperties
        props.line = LineProperties(solidFill="595959", w=6350)
        if style.status in PATTERNS:
            props.pattFill = PatternFillProperties(
                prst=PATTERNS[style.status], fgClr=ColorChoice(srgbClr="404040"),
                bgClr=ColorChoice(srgbClr=fill))
        else:
            props.solidFill = fill
    chart.dataLabels = DataLabelList(showVal=True, numFmt="0;;;")
    chart.width, chart.height = 22, 2 + 1.1 * rows
    return chart


def _commitments(sheet: Worksheet, briefing: Briefing) -> None:
    _table(sheet, [t("briefing.col_commitment"), t("briefing.area"), t("briefing.col_title"),
                   t("briefing.status"), t("briefing.col_last_update"), t("briefing.col_update"),
                   t("briefing.col_by"), t("briefing.col_mission"), t("briefing.col_owners")],
           [(c.id, c.area, c.title,
             status_label(c.latest.status) if c.latest else t("briefing.legend_none"),
             *_latest(c.latest), joined(c.owners)) for c in briefing.commitments],
           widths=(12, 8, 40, 14, 14, 60, 18, 14, 24), dates={5: DAY}, wrap=(3, 6))


def _latest(item: ProgressUpdate | None) -> tuple[object, ...]:
    if item is None:
        return (None, "", "", "")
    return (_naive(item.created_at), item.text, item.user_name, item.mission)


def _updates(sheet: Worksheet, briefing: Briefing, catalogue: Catalogue) -> None:
    _table(sheet, [t("briefing.col_id"), t("briefing.col_date"), t("briefing.col_commitment"),
                   t("briefing.area"), t("briefing.status"), t("briefing.col_update"),
                   t("briefing.col_by"), t("briefing.col_mission")],
           [(u.id, _naive(u.created_at), u.commitment_id, _area(catalogue, u),
             status_label(u.status), u.text, u.user_name, u.mission) for u in briefing.updates],
           widths=(8, 17, 12, 8, 14, 70, 18, 14), dates={2: MINUTE}, wrap=(6,))


def _area(catalogue: Catalogue, item: ProgressUpdate) -> str:
    found = catalogue.commitments.get(item.commitment_id)
    return found.area if found else ""


def _silent(sheet: Worksheet, briefing: Briefing) -> None:
    _table(sheet, [t("briefing.area"), t("briefing.col_commitment"), t("briefing.col_title"),
                   t("briefing.col_last_update"), t("briefing.col_owners")],
           [(a.id, cid, name, _naive(last) if last else None, joined(owners))
            for a in briefing.areas for cid, name, last, owners in a.stale],
           widths=(8, 12, 50, 14, 30), dates={4: DAY}, wrap=(3,))


def _table(sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]], *,
           widths: Sequence[int], dates: dict[int, str] | None = None,
           wrap: Sequence[int] = ()) -> None:
    """A header (bold, frozen, filterable) and the rows, every cell safe."""
    append_safe(sheet, header)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    count = 0
    for row in rows:
        append_safe(sheet, row)
        count += 1
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for column, form in (dates or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = form
    for column in wrap:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def _naive(value: datetime) -> datetime:
    """Excel has no time zones: UTC, as the briefing says."""
    return value.replace(tzinfo=None)
