"""The console's pages. Each page is one call into prakerja/ops (the functions the CLI
calls) and one template; lists and counts come from the execution-list snapshot
(snapshot.py), everything else is read live. Actions go form -> second screen ->
done, and are refused in read-only mode."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from prakerja.ops import actions, audit, export, graph, listing, payouts, reads, table, waves
from prakerja.ops import reconcile as recon
from prakerja.ops.aws import OpsError, OpsUsageError, Target
from prakerja_flow import clock
from prakerja_flow.services.operator import OperatorError

from . import views
from .security import Gate, Intent
from .snapshot import Snapshot

log = logging.getLogger("prakerja.console")
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
DEFAULT_ROWS, MAX_ROWS = 200, 5000
AUDIT_DEFAULT_DAYS = 7  # the audit page without a day or range: this programme week (the CLI: today)


@dataclass
class Console:
    target: Target
    actor: str
    read_only: bool
    snapshot: Snapshot
    statement: list[dict] | None = None
    where: str = ""  # which stack, for the header
    audit_days: audit.PastDays = field(default_factory=audit.PastDays)


@dataclass(frozen=True)
class Lists:
    """What the snapshot holds: every execution, profiled (wave, cash paid) for the filters;
    each wave's intake; the payout queue as a run sees it (with who has a FAILED payout)."""

    listing: listing.Listing
    intake: dict[int, int]
    queue: dict
    reconciliation: dict | None = None  # of the statement given at launch

    @property
    def as_of(self) -> str:
        return self.listing.as_of


def full_read(target: Target, audit_days: audit.PastDays | None = None, statement: list[dict] | None = None) -> Lists:
    """Everything the list pages show, read once. With `audit_days`, also every ended day of
    the audit log since the first registration: a participant page then queries only the
    last day or two of it, not one day per day since they registered. With `statement`
    (--statement at launch), its reconciliation, which reads every listed participant's ledger."""
    listed = listing.execution_rows(target, profile_all=True)
    known = set(table.waves()) | {r["wave"] for r in listed.rows if r.get("wave") is not None}
    if audit_days is not None:
        today = target.now().date()
        first = min((clock.parse(r["accepted_at"]).date() for r in listed.rows if r.get("accepted_at")), default=today)
        audit.read(max(first, today - timedelta(days=audit.MAX_DAYS - 1)), today, kept=audit_days, today=today)
    return Lists(
        listed,
        waves.intake(sorted(known)),
        payouts.queue_progress(target),
        recon.reconcile_report(target, statement) if statement else None,
    )


# Routes and error handlers, in the order Pages declares them: (rule, endpoint, methods) and
# (exception class, handler name). The endpoint is the method's name (the templates' url_for).
_ROUTES: list[tuple[str, str, tuple[str, ...]]] = []
_ERROR_HANDLERS: list[tuple[type[BaseException], str]] = []


def _route(rule: str, *methods: str):
    def mark(view):
        _ROUTES.append((rule, view.__name__, methods))
        return view

    return mark


def _handles(error_class: type[BaseException]):
    def mark(handler):
        _ERROR_HANDLERS.append((error_class, handler.__name__))
        return handler

    return mark


def create_app(console: Console, port: int, token: str | None = None) -> tuple[Flask, Gate]:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_STATEMENT_BYTES
    gate = Gate(app, port, token)
    app.jinja_env.filters.update(views.FILTERS)
    app.jinja_env.globals.update(nik_shown=views.nik_shown, console=console)
    app.jinja_env.autoescape = True
    pages = Pages(console, gate)
    for error_class, name in _ERROR_HANDLERS:
        app.register_error_handler(error_class, getattr(pages, name))
    for rule, name, methods in _ROUTES:
        app.add_url_rule(rule, name, getattr(pages, name), methods=list(methods))
    return app, gate


class Pages:
    """One console's pages: a method per route or error, registered by create_app."""

    def __init__(self, console: Console, gate: Gate):
        self.console = console
        self.gate = gate
        self.target = console.target

    def lists(self) -> tuple[Lists, dict]:
        read = self.console.snapshot.get()
        if read.value is None:
            raise OpsError(f"the execution list could not be read: {read.error}")
        return read.value, {
            "age": self.console.snapshot.age(),
            "seconds": read.seconds,
            "error": read.error,
            "as_of": read.value.as_of,
        }

    def execution_list(self) -> tuple[listing.Listing, dict]:
        held, snap = self.lists()
        return held.listing, snap

    def page(self, template: str, status: int = 200, **context) -> tuple[str, int]:
        return render_template(template, now=self.target.now(), **context), status

    # --- errors: one page, the one line the CLI would print ---------------------------------

    @_handles(OpsUsageError)
    def usage(self, error):
        return self.page("error.html", 400, title="Bad request", message=str(error))

    @_handles(OpsError)
    def ops_error(self, error):
        return self.page("error.html", 404, title="Not found", message=str(error))

    @_handles(OperatorError)
    def refused(self, error):
        return self.page("error.html", 409, title="Refused; nothing changed", message=str(error))

    @_handles(CSRFError)
    def csrf(self, error):
        return self.page(
            "error.html",
            400,
            title="Refused; nothing changed",
            message=f"the form's CSRF token is missing or invalid ({error.description}); open the page again",
        )

    @_handles(Intent)
    def intent(self, error):
        return self.page("error.html", 400, title="Refused; nothing changed", message=str(error))

    @_handles(HTTPException)
    def http_error(self, error):
        return render_template("error.html", now=None, title=error.name, message=error.description), error.code

    @_handles(Exception)
    def unexpected(self, error):  # an unreachable endpoint, a refused AWS call: the CLI's one line
        log.exception("console page failed")
        return render_template(
            "error.html", now=None, title="The stack did not answer", message=self.target.describe(error)
        ), 502

    # --- search and the participant -------------------------------------------------------------

    @_route("/", "GET")
    def home(self):
        rows, snap = self.execution_list()
        by_status: dict[str, int] = {}
        for row in rows.rows:
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        return self.page(
            "home.html",
            snap=snap,
            listing=rows,
            by_status=dict(sorted(by_status.items())),
            stuck=listing.stuck_from_rows(rows.rows, as_of=rows.as_of),
        )

    @_route("/search", "POST")
    def search(self):
        reference = (request.form.get("q") or "").strip()
        if not reference:
            raise OpsUsageError("give a participant id or a 16-digit NIK")
        return redirect(url_for("participant", pid=reads.resolve(reference)), code=303)

    @_route("/participants/<pid>", "GET")
    def participant(self, pid: str):
        if reads.NIK_PATTERN.match(pid):
            raise OpsUsageError("search by NIK with the search form: a NIK is never put in an address")
        report = reads.participant_report(self.target, pid)
        history = reads.history_report(self.target, pid, self.console.audit_days)
        svg = graph.render(history["path"], history["current_state"], history["failed_state"])
        timeline = [line for line in history["timeline"] if line.get("what") != "exited"]
        trail = [line for line in history["timeline"] if line["source"] == "audit"]
        return self.page("participant.html", r=report, history=history, svg=svg, timeline=timeline, trail=trail)

    @_route("/participants/<pid>/nik", "GET", "POST")
    def reveal_nik(self, pid: str):
        """The full NIK on this one response, after a reason, audited. Read-only consoles may
        reveal too: it is a read (support staff check a caller's NIK), recorded all the same."""
        if reads.NIK_PATTERN.match(pid):
            raise OpsUsageError("search by NIK with the search form: a NIK is never put in an address")
        if request.method == "GET":
            return self.page("reveal.html", pid=pid, reason="", problem=None, nik=None)
        reason = request.form.get("reason") or ""
        try:
            nik = actions.reveal_nik(self.target, pid, self.console.actor, reason)
        except OpsUsageError as error:
            return self.page(
                "reveal.html", 400, pid=pid, reason=reason, problem=str(error).split(": ", 1)[-1], nik=None
            )
        return self.page("reveal.html", pid=pid, reason=reason, problem=None, nik=nik)

    # --- lists ------------------------------------------------------------------------------------

    def _matching(self, f: dict) -> tuple[listing.Listing, dict, list[dict]]:
        rows, snap = self.execution_list()
        if f["wave"] is not None and f["wave"] not in {r["wave"] for r in rows.rows}:
            reads.check_wave(f["wave"])  # not among the rows: does it exist at all?
        failed = set(self.lists()[0].queue["failed_participants"]) if f["payout_failed"] else None
        matched = listing.filter_rows(
            rows.rows, f["state"], f["age"], f["never_paid"], failed, status=f["status"], wave=f["wave"]
        )
        return rows, snap, matched

    @_route("/executions", "GET")
    def executions(self):
        f = _filters()
        rows, snap, matched = self._matching(f)
        query = {k: v for k, v in request.args.items() if k != "limit" and v}
        return self.page(
            "executions.html",
            snap=snap,
            listing=rows,
            f=f,
            rows=matched[: f["limit"]],
            matched=len(matched),
            states=reads.lifecycle_states(),
            statuses=reads.EXECUTION_STATUSES,
            csv_url=url_for("executions_csv") + (f"?{urlencode(query)}" if query else ""),
        )

    @_route("/executions.csv", "GET")
    def executions_csv(self):
        _, _, matched = self._matching(_filters())
        return Response(
            export.to_csv(matched, export.EXECUTION_COLUMNS),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=executions.csv"},
        )

    @_route("/stuck", "GET")
    def stuck(self):
        rows, snap = self.execution_list()
        return self.page("stuck.html", snap=snap, stuck=listing.stuck_from_rows(rows.rows, oldest=10, as_of=rows.as_of))

    @_route("/refresh", "POST")
    def refresh(self):
        self.console.snapshot.soon()  # in the background: a full read takes seconds on the local stack
        back = request.form.get("back") or "/"
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/", code=303)

    @_route("/waves", "GET")
    def waves_page(self):  # status and pauses read now; intake and states from the snapshot
        held, snap = self.lists()
        return self.page(
            "waves.html", snap=snap, report=waves.waves_report(self.target, held.listing.rows, held.intake)
        )

    @_route("/payouts", "GET")
    def payouts_page(self):  # pauses and budget read now; the queue from the snapshot
        held, snap = self.lists()
        return self.page(
            "payouts.html",
            snap=snap,
            report=payouts.status_report(self.target, held.queue),
            waves=sorted(table.waves()),
        )

    def _audit_report(self) -> dict:
        a = request.args
        since = a.get("since") or None
        if not (a.get("day") or since or a.get("until")):  # on `local up` a programme day lasts two seconds
            since = (self.target.now().date() - timedelta(days=AUDIT_DEFAULT_DAYS - 1)).isoformat()
        return audit.report(
            self.target,
            a.get("day") or None,
            since,
            a.get("until") or None,
            a.get("actor") or None,
            a.get("participant") or None,
            self.console.audit_days,
        )

    @_route("/audit", "GET")
    def audit_page(self):
        a = request.args
        report = self._audit_report()
        query = {k: v for k, v in a.items() if v}
        return self.page(
            "audit.html",
            report=report,
            args=a,
            csv_url=url_for("audit_csv") + (f"?{urlencode(query)}" if query else ""),
        )

    @_route("/audit.csv", "GET")
    def audit_csv(self):
        report = self._audit_report()
        return Response(
            export.to_csv(export.audit_rows(report["entries"]), export.AUDIT_COLUMNS),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=audit.csv"},
        )

    @_route("/reconcile", "GET", "POST")
    def reconcile_page(self):
        if request.method == "GET":  # the launch's statement, reconciled with the lists (snapshot)
            held, snap = self.lists()
            return self.page(
                "reconcile.html",
                report=held.reconciliation,
                snap=snap,
                source="the statement given at launch (--statement)",
            )
        upload = request.files.get("statement")
        if upload is None or not upload.filename:
            raise OpsUsageError("choose a statement file (JSON lines) to upload")
        try:
            lines = recon.parse_statement(upload.read().decode("utf-8"))
        except UnicodeDecodeError as error:
            raise OpsUsageError(f"the statement is not UTF-8 text: {error}") from None
        return self.page(
            "reconcile.html",
            report=recon.reconcile_report(self.target, lines),
            source=f"the uploaded {upload.filename}",
            snap=None,
        )

    # --- actions: form, second screen, done ------------------------------------------------------

    def _refuse_if_read_only(self) -> None:
        if self.console.read_only:
            abort(403, description="this console is read-only (--read-only): actions are refused; nothing changed")

    @_route("/act/<name>", "GET")
    def act_form(self, name: str):
        self._refuse_if_read_only()
        action = _action(name, request.args)
        return self.page("act_form.html", action=action, reason="", problem=None)

    @_route("/act/<name>/confirm", "POST")
    def act_confirm(self, name: str):
        self._refuse_if_read_only()
        action = _action(name, request.form)
        try:
            actor, reason = actions.checked_words(self.console.actor, request.form.get("reason") or "")
        except OpsUsageError as error:
            return self.page(
                "act_form.html",
                400,
                action=action,
                reason=request.form.get("reason") or "",
                problem=str(error).split(": ", 1)[-1],
            )
        intent = self.gate.sign_intent({"name": action.name, "params": action.params(), "reason": reason})
        return self.page("act_confirm.html", action=action, actor=actor, reason=reason, intent=intent)

    @_route("/act/<name>/do", "POST")
    def act_do(self, name: str):
        self._refuse_if_read_only()
        intent = self.gate.read_intent(request.form.get("intent") or "")
        if intent["name"] != name:
            raise Intent("this confirmation is for another action; start again")
        action = actions.build(name, {k: str(v) for k, v in intent["params"].items()})
        outcome = actions.perform(self.target, action, self.console.actor, intent["reason"])
        self.console.snapshot.soon()
        return self.page("act_done.html", action=action, outcome=outcome, reason=intent["reason"])


def _filters() -> dict:
    """The list filters of this request's query string, checked."""
    args = request.args
    status = args.get("status") or None
    reads.check_status(status)
    state = args.get("state") or None
    reads.check_state(state)
    wave = None
    if args.get("wave"):
        try:
            wave = int(args["wave"])
        except ValueError:
            raise OpsUsageError(f"wave must be a whole number, not {args['wave']!r}") from None
    older = args.get("older_than") or None
    try:
        age = reads.parse_duration(older) if older else None
    except ValueError as error:
        raise OpsUsageError(f"older than: {error}") from None
    try:
        limit = min(MAX_ROWS, max(1, int(args.get("limit") or DEFAULT_ROWS)))
    except ValueError:
        raise OpsUsageError(f"limit must be a whole number, not {args['limit']!r}") from None
    return {
        "status": status,
        "state": state,
        "wave": wave,
        "older_than": older,
        "age": age,
        "never_paid": args.get("never_paid") == "1",
        "payout_failed": args.get("payout_failed") == "1",
        "limit": limit,
    }


def _action(name: str, params) -> actions.Action:
    fields = {
        k: params.get(k) for k in ("wave", "participant_id", "kind", "sequence") if params.get(k) not in (None, "")
    }
    return actions.build(name, fields)
