"""What the pages show of the reports, and how (Jinja2 filters). Pure."""

from __future__ import annotations

from markupsafe import Markup

from prakerja.ops.reads import human


def nik_shown(report: dict) -> str:
    """The only place a page takes a NIK from: always masked (province and regency digits
    and the last four). The full NIK is shown by one page only, reveal.html, after a
    reason and an audit entry (actions.reveal_nik)."""
    return report["nik_masked"]


def rupiah(amount: int | None) -> str:
    return "-" if amount is None else f"Rp{int(amount):,}"


def duration(seconds: float | None) -> str:
    return human(seconds)


def day(iso: str | None) -> str:
    return (iso or "-")[:10]


def moment(iso: str | None) -> str:
    return "-" if not iso else iso.replace("T", " ").replace("Z", "")


def svg(document: str) -> Markup:
    """The lifecycle graph (ops/graph.py escapes every name it writes) inlined in the page."""
    return Markup(document)


STATUS_CLASS = {
    "PAID": "ok",
    "SUCCEEDED": "ok",
    "FAILED": "bad",
    "TIMED_OUT": "bad",
    "ABORTED": "bad",
    "SENT": "warn",
    "DUE": "warn",
    "CANCELLED": "muted",
    "EXPIRED": "muted",
    "RUNNING": "info",
}


def status_class(status: str | None) -> str:
    return STATUS_CLASS.get(status or "", "")


FILTERS = {
    "rupiah": rupiah,
    "duration": duration,
    "day": day,
    "moment": moment,
    "svg": svg,
    "status_class": status_class,
}
