"""What the health checks report — `/healthz` (webhook mode) and `a4pbot health` (the
container's check) — so the two say the same thing: the knowledge is loaded, and the
database, when there is one, answers."""

from __future__ import annotations

from typing import Any

from bot.answering.catalogue import Catalogue


def health_report(catalogue: Catalogue, database: str | None) -> dict[str, Any]:
    """The report: `database` is the store's answer ("ok", or why not), None without a
    store; `ok` only when everything there is answers."""
    report: dict[str, Any] = {"ok": database in (None, "ok"), "catalogue": {
        "areas": len(catalogue.areas), "commitments": len(catalogue.commitments),
        "paragraphs": len(catalogue.paragraphs)}}
    if database is not None:
        report["database"] = database
    return report


def health_line(catalogue: Catalogue, database: str | None) -> str:
    """The report on one line, for people and container logs."""
    report = health_report(catalogue, database)
    counts = report["catalogue"]
    return (f"catalogue: {counts['areas']} areas, {counts['commitments']} commitments, "
            f"{counts['paragraphs']} paragraphs; database: {report.get('database', 'none')}")
