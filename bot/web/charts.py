"""Charts as inline SVG, drawn from the numbers (no matplotlib in a web request): they scale,
print sharp, take the page's fonts (Chinese too) and need no JavaScript.

Every value is also written on the chart (segment counts, totals), and "no update yet" is an
empty outlined box, so the charts read in grey print and without telling colours apart.
"""

from __future__ import annotations

from html import escape

from bot.briefing.summary import STATUS_COLOURS, ink_on

NONE_COLOUR = "#ffffff"
OUTLINE = "#8a8a8a"
INK = "#1f2933"
FONT = 13


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, NONE_COLOUR)


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = FONT,
          fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}">{escape(text)}</text>')


def legend(order: tuple[str, ...], names: dict[str, str], y: float, width: int) -> list[str]:
    """Swatches with their names in one row."""
    parts, x = [], 0.0
    for status in order:
        fill = colour(status)
        parts.append(f'<rect x="{x:.1f}" y="{y - 11:.1f}" width="12" height="12" fill="{fill}" '
                     f'stroke="{OUTLINE if fill == NONE_COLOUR else fill}"/>')
        parts.append(_text(x + 17, y, names[status]))
        x += 17 + 14 + _width(names[status])
        if x > width - 60:
            break
    return parts


def stacked_bars(rows: list[tuple[str, dict[str, int]]], order: tuple[str, ...],
                 names: dict[str, str], *, title: str, width: int = 1000) -> str:
    """One horizontal bar per row, a segment per status (counts inside), the total after."""
    label_width, right, bar, gap, top = 230, 44, 22, 10, 46
    scale_max = max([sum(c.values()) for _, c in rows] + [1])
    plot = width - label_width - right
    height = top + len(rows) * (bar + gap) + 4
    parts = [_text(0, 16, title, size=15, weight="bold"), *legend(order, names, 36, width)]
    for n, (label, counts) in enumerate(rows):
        y = top + n * (bar + gap) + 6
        parts.append(_text(label_width - 8, y + bar * 0.72, _fit(label, 17), anchor="end"))
        x = float(label_width)
        for status in order:
            value = counts.get(status, 0)
            if not value:
                continue
            w = plot * value / scale_max
            fill = colour(status)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{fill}" '
                         f'stroke="{OUTLINE if fill == NONE_COLOUR else "#ffffff"}" '
                         f'stroke-width="1"><title>{escape(names[status])}: {value}</title></rect>')
            if w >= 14:
                parts.append(_text(x + w / 2, y + bar * 0.72, str(value), anchor="middle",
                                   size=12, fill=ink_on(fill)))
            x += w
        parts.append(_text(x + 6, y + bar * 0.72, str(sum(counts.values())), weight="bold"))
    return _svg(width, height, title, parts)


def small_multiples(months: tuple[str, ...], rows: tuple[tuple[str, str, tuple[int, ...]], ...],
                    *, title: str, width: int = 1000) -> str:
    """Updates per month: one row of columns per area on a shared scale, the row's total
    after it and the months below — eight areas stay readable where eight lines would not."""
    label_width, right, row_height, top = 230, 44, 34, 30
    plot = width - label_width - right
    step = plot / max(len(months), 1)
    peak = max([v for _, _, values in rows for v in values] + [1])
    height = top + len(rows) * row_height + 34
    parts = [_text(0, 16, title, size=15, weight="bold")]
    for n, (area_id, name, values) in enumerate(rows):
        base = top + (n + 1) * row_height
        parts.append(f'<line x1="{label_width}" y1="{base}" x2="{label_width + plot:.1f}" '
                     f'y2="{base}" stroke="#d0d5dc"/>')
        parts.append(_text(label_width - 8, base - 8, _fit(f"{area_id} {name}", 17), anchor="end"))
        for m, value in enumerate(values):
            if not value:
                continue
            h = (row_height - 14) * value / peak
            x = label_width + m * step + step * 0.18
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.64:.1f}" '
                         f'height="{h:.1f}" fill="{colour("in_progress")}">'
                         f'<title>{escape(months[m])}: {value}</title></rect>')
            parts.append(_text(x + step * 0.32, base - h - 2, str(value), anchor="middle", size=10))
        parts.append(_text(label_width + plot + 6, base - 8, str(sum(values)), weight="bold"))
    axis = top + len(rows) * row_height + 16
    for m, month in enumerate(months):
        label = month[2:] .replace("-", "/") if m == 0 or month.endswith("-01") else month[5:]
        parts.append(_text(label_width + (m + 0.5) * step, axis, label, anchor="middle", size=11))
    return _svg(width, height, title, parts)


def _width(text: str, size: int = FONT) -> float:
    """About how wide `text` is drawn (a CJK glyph is one em, Latin about 0.58)."""
    return sum(size if ord(char) >= 0x2E80 else size * 0.58 for char in text)


def _fit(text: str, limit: int) -> str:
    """A label cut to `limit` characters (CJK glyphs are wide: counted double)."""
    out, used = "", 0.0
    for char in text:
        used += 1 if ord(char) < 0x2E80 else 1.8
        if used > limit * 1.6:
            return out.rstrip() + "…"
        out += char
    return out


def _svg(width: int, height: float, title: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")


def mini_bar(counts: dict[str, int], order: tuple[str, ...], names: dict[str, str],
             width: int = 140, height: int = 14) -> str:
    """A table cell's stacked bar (the same colours as the big chart, no labels)."""
    total = sum(counts.values()) or 1
    parts, x = [], 0.0
    for status in order:
        if not counts.get(status):
            continue
        w = (width - 1) * counts[status] / total
        fill = colour(status)
        parts.append(f'<rect x="{x + 0.5:.1f}" y="0.5" width="{w:.1f}" height="{height - 1}" '
                     f'fill="{fill}" stroke="{OUTLINE if fill == NONE_COLOUR else fill}"/>')
        x += w
    label = ", ".join(f"{names[s]} {counts[s]}" for s in order if counts.get(s))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="minibar" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}">' + "".join(parts) + "</svg>")
