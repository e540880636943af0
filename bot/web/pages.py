"""HTML pages from Jinja2 templates (autoescaped: every value from users is text), in the
current language, with the stylesheet and the charts inline — one file that needs nothing
else, whether a browser fetched it or `a4pbot report` wrote it.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.conversation import i18n
from bot.conversation.i18n import t
from bot.briefing.summary import ink_on
from bot.desk.statuses import status_label, status_labels
from bot.conversation.replies import area_name, rendering, title
from bot.storage.updates import STATUSES
from . import charts
from .dashboard import ORDER

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """style.css, then the status colours, which come from the charts' palette (one source:
    a badge and its bar segment always match; last, so each badge's ink wins over the
    stylesheet's default)."""
    palette = "".join(
        f".s-{s} {{ background: {charts.colour(s)}; color: {ink_on(charts.colour(s))}; }}\n"
        f":root {{ --{s}: {charts.colour(s)}; }}\n" for s in STATUSES)
    return (HERE / "style.css").read_text(encoding="utf-8") + palette


@lru_cache(maxsize=1)
def style_hash() -> str:
    """The stylesheet's CSP source (`'sha256-…'`): the only style the pages may apply (every
    response's header; the stylesheet is read once, so its hash is computed once too)."""
    digest = hashlib.sha256(stylesheet().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def status_names() -> dict[str, str]:
    """The desk's status labels and the charts' "no update yet" segment, in ORDER."""
    return {**status_labels(), "none": t("briefing.no_update")}


def day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def moment(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else ("±0" if value == 0 else f"−{-value}")


def status_chart(rows: list[tuple[str, dict[str, int]]], width: int = 1000) -> Markup:
    """The stacked bar of commitments by status, per area (safe: built from escaped text);
    narrower on paper, where the page is: its labels then print larger."""
    return Markup(charts.stacked_bars(rows, ORDER, status_names(),
                                      title=t("web.chart.status"), width=width))


def mini_bar(counts: dict[str, int]) -> Markup:
    return Markup(charts.mini_bar(counts, ORDER, status_names()))


def trend_chart(months: tuple[str, ...], rows: tuple[tuple[str, str, tuple[int, ...]], ...]
                ) -> Markup:
    return Markup(charts.small_multiples(months, rows, title=t("web.chart.trend")))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(t=t, status_label=status_label, title=title, area_name=area_name,
                       rendering=rendering, statuses=STATUSES, order=ORDER, day=day,
                       moment=moment, signed=signed,
                       status_chart=status_chart, trend_chart=trend_chart, mini_bar=mini_bar,
                       status_names=status_names)
    return env


def render(template: str, **values: Any) -> str:
    """A page in the current language (`i18n.use` around the call chooses it)."""
    return environment().get_template(template).render(
        language=i18n.current(), css=Markup(stylesheet()), **values)
