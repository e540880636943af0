"""The briefing chart: one stacked bar per area, as PNG (chat, `report`) or SVG (`report`).

Readers print it in grey and one man in twelve cannot tell red from green, so each status
has an Okabe–Ito colour of its own lightness *and* its own hatch; every segment carries its
count and every bar its total. The legend sits under the plot and the image is cut to what
was drawn (`bbox_inches="tight"`), so no label falls off whatever the language.

Chinese labels need a CJK font. matplotlib lists the machine's fonts once and caches the list
on disk, so a font installed later stays invisible to it: `cjk_font` rebuilds that cache when
the font directories hold a file it has not seen. Without any CJK font, Chinese charts are
drawn in English (French and English need none); the server says so once in its log, never
in a conversation.

matplotlib's import, the font lookup and the first draw cost 1–2 s; a server pays them once,
at start, in a thread (`warm`), and a chart after that renders in a fraction of a second.
Renders are serialised: rcParams and matplotlib's font caches are process-wide.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.conversation import i18n
from bot.conversation.i18n import t
from bot.conversation.replies import area_name
from bot.desk.statuses import status_label

from .summary import STATUS_COLOURS, ink_on, scope_words

if TYPE_CHECKING:
    from bot.answering.catalogue import Catalogue

    from .summary import Briefing

log = logging.getLogger(__name__)
# "findfont: Failed to find font weight bold for WenQuanYi Micro Hei": the CJK fallback has no
# bold, and that is fine; such records must not reach a console conversation.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
FORMATS = ("png", "svg")
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
             "Noto Sans CJK JP", "Microsoft YaHei", "SimHei", "PingFang SC")
LATIN_FONT = "DejaVu Sans"  # ships with matplotlib; CJK glyphs fall back to the CJK font
DPI = 150
WIDTH_IN, TITLE_IN, SUBTITLE_IN, ROW_IN, LEGEND_IN = 8.0, 0.5, 0.25, 0.62, 0.45
BAR = 0.5  # of a row
LEGEND_CHARS = 95  # what one legend row holds at 9 pt across 8 inches
INK, MUTED = "#222222", "#555555"


class Series:
    """How one status is drawn: Okabe & Ito's colour-blind-safe colours, ordered so their
    grey levels differ, plus a hatch for the two that print alike (done and blocked)."""

    def __init__(self, status: str, colour: str, hatch: str) -> None:
        self.status, self.colour, self.hatch = status, colour, hatch
        self.ink = ink_on(colour)  # the web page letters the same colour the same way


SERIES = (  # left to right: what is done first, what has no update last
    Series("done", STATUS_COLOURS["done"], ""),                # bluish green, grey ~42%
    Series("in_progress", STATUS_COLOURS["in_progress"], "///"),  # sky blue, grey ~62%
    Series("blocked", STATUS_COLOURS["blocked"], "xxx"),       # vermillion, grey ~47%
    Series("not_started", STATUS_COLOURS["not_started"], ""),  # yellow, grey ~84%
    Series("none", "#FFFFFF", "..."),        # no update: white, dotted, outlined
)
HATCH_INK = "#404040"
EDGE = "#595959"

_LOCK = threading.Lock()  # one render at a time (rcParams, font caches)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font with Chinese glyphs; None when there is none.

    matplotlib's cached font list predates any font installed after it was built
    (`apt-get install fonts-wqy-microhei` on a running machine): when none of the list is
    known and the font directories hold files the cache has not seen, the cache is rebuilt
    (and written back, so the next process finds it at once)."""
    from matplotlib import font_manager

    found = _known_cjk(font_manager.fontManager)
    if found is None:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        if set(font_manager.findSystemFonts()) - known:
            # what matplotlib itself runs when it finds no cache (private by name, stable since 3.4)
            manager = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
            font_manager.fontManager = manager
            font_manager.findfont = manager.findfont
            font_manager.get_font_names = manager.get_font_names
            found = _known_cjk(manager)
    return found


def _known_cjk(manager) -> str | None:  # manager: matplotlib FontManager
    installed = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def language_drawn() -> str:
    """The chart's language: the reader's, except Chinese without a CJK font (English)."""
    language = i18n.current()
    return "en" if language == "zh" and cjk_font() is None else language


def warm(catalogue: Catalogue | None = None) -> threading.Thread:
    """Pay matplotlib's import, the font lookup and a first full draw (every area's name, every
    status) in the background, so the first /brief of a running bot answers as fast as the
    next; a render that comes sooner waits for it. Not a daemon: a server stopped during
    the warm-up waits for it (about a second) rather than tearing the interpreter down under
    matplotlib's C code (a SIGTERM then crashed the process with SIGSEGV)."""
    thread = threading.Thread(target=_warm_up, args=(catalogue,), name="chart-warm-up",
                              daemon=False)
    thread.start()
    return thread


def _warm_up(catalogue: Catalogue | None) -> None:
    with _LOCK:
        font = cjk_font()
        with i18n.use(language_drawn()):
            labels = tuple(f"{a.id} {area_name(a)}" for a in catalogue.areas.values()) \
                if catalogue else ("A1",)
            legend = tuple(legend_label(s.status) for s in SERIES)
            title = t("briefing.chart_title")
        _draw(labels, tuple((1,) * len(labels) for _ in SERIES), (len(SERIES),) * len(labels),
              (title, title), legend, font, "png")
    if font is None:
        log.warning("no CJK font installed (Debian: apt-get install fonts-wqy-microhei): "
                    "charts for Chinese readers are drawn in English")


def render(briefing: Briefing, catalogue: Catalogue, fmt: str = "png") -> bytes:
    """The chart of a briefing as PNG or SVG bytes, in the current language."""
    assert fmt in FORMATS, fmt
    with _LOCK:
        font = cjk_font()
        with i18n.use(language_drawn()):
            labels = tuple(f"{a.id} {area_name(catalogue.areas[a.id])}" for a in briefing.areas)
            legend = tuple(legend_label(s.status) for s in SERIES)
            titles = (f"{t('briefing.chart_title')} — {briefing.generated:%Y-%m-%d}",
                      " · ".join(scope_words(briefing)))
        values = tuple(tuple(a.segments[s.status] for a in briefing.areas) for s in SERIES)
        with warnings.catch_warnings():
            if font is None:  # a mission typed in Chinese: drawn as boxes, not a warning
                warnings.simplefilter("ignore", UserWarning)
            return _draw(labels, values, tuple(a.commitments for a in briefing.areas), titles,
                         legend, font, fmt)


def legend_label(status: str) -> str:
    """A series' name in the legend (the workbook's too): "none" reads as "no update yet"."""
    return status_label(status) if status != "none" else t("briefing.legend_none")


@lru_cache(maxsize=16)  # the same picture asked again (no update since): the same bytes at once
def _draw(labels: tuple[str, ...], values: tuple[tuple[int, ...], ...], totals: tuple[int, ...],
          titles: tuple[str, str], legend: tuple[str, ...], font: str | None, fmt: str) -> bytes:
    """The figure itself: each area's name above its bar, so long names need no margin.

    The layout is fixed in inches (title, a row per area, the legend), not measured: matplotlib's
    tight and constrained layouts draw the figure twice, a third of a /brief's time."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    top = TITLE_IN + (SUBTITLE_IN if titles[1] else 0)
    height = top + ROW_IN * len(labels) + LEGEND_IN
    with rc_context({"font.family": [LATIN_FONT, font] if font else [LATIN_FONT],
                     "axes.unicode_minus": False, "svg.hashsalt": "a4p", "hatch.linewidth": 0.8}):
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
        axes = figure.add_axes((0.02, LEGEND_IN / height, 0.96, ROW_IN * len(labels) / height))
        handles = _bars(axes, labels, values, totals, legend)
        figure.text(0.02, 1 - 0.15 / height, titles[0], fontsize=13, fontweight="bold",
                    color=INK, va="top")
        if titles[1]:
            figure.text(0.02, 1 - (TITLE_IN + 0.02) / height, titles[1], fontsize=9.5,
                        color=MUTED, va="top")
        if legend:
            ncol = 5 if sum(_width(w) for w in legend) <= LEGEND_CHARS else 3
            figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.04 / height), ncol=ncol,
                          frameon=False, fontsize=9, handlelength=1.8, handleheight=1.1,
                          columnspacing=1.4)
        buffer = io.BytesIO()
        if fmt == "png":  # zlib's fastest level: a third larger, encoded 5x faster
            figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        else:
            figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _bars(axes, labels: tuple[str, ...], values: tuple[tuple[int, ...], ...],
          totals: tuple[int, ...], legend: tuple[str, ...]) -> list:
    """One stacked bar per area (axes: a matplotlib Axes), counts centred on each segment,
    the total after it, the area's name above it; the legend's handles are returned.

    A collection per status, not `barh`: it skips the per-bar bookkeeping of data limits
    (the limits are set here), a tenth of a render."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    left = [0] * len(labels)
    handles = []
    for series, counts, name in zip(SERIES, values, legend or ("",) * len(SERIES)):
        look: dict[str, Any] = {"facecolor": series.colour, "edgecolor": EDGE, "hatch": series.hatch,
                "linewidth": 0.6}
        boxes = [Rectangle((start, y - BAR / 2), n, BAR)
                 for y, (start, n) in enumerate(zip(left, counts)) if n]
        bars = PatchCollection(boxes, **look)
        bars.set_hatchcolor(HATCH_INK)
        axes.add_collection(bars, autolim=False)
        handles.append(Patch(label=name, hatchcolor=HATCH_INK, **look))
        for y, (start, n) in enumerate(zip(left, counts)):
            if n:
                axes.text(start + n / 2, y, str(n), ha="center", va="center", fontsize=9,
                          fontweight="bold", color=series.ink,
                          bbox={"boxstyle": "round,pad=0.2", "facecolor": series.colour,
                                "edgecolor": "none"} if series.hatch else None)  # over a hatch
        left = [x + n for x, n in zip(left, counts)]
    longest = max(totals, default=1) or 1
    for y, (label, total) in enumerate(zip(labels, totals)):
        axes.text(0, y - BAR / 2 - 0.08, label, fontsize=10, color=INK, va="bottom")
        axes.text(total + longest * 0.012, y, str(total), fontsize=10.5, fontweight="bold",
                  color=INK, va="center")
    axes.set_xlim(0, longest * 1.07)
    axes.set_ylim(len(labels) - 1 + BAR / 2 + 0.05, -1 + BAR / 2 + 0.05)  # first area on top
    axes.axis("off")
    return handles


def _width(text: str) -> float:
    """A label's width in Latin characters (a Chinese one is about two)."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" else 1 for ch in text) + 5  # + the swatch
