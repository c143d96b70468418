"""The actions of `prakerja ops` and its console: one definition each of what it asks
before acting, what it does and what it answers. Both the CLI and the console build an
Action, confirm `action.question()` with a person, then `perform` it; performing writes
the same audit entry (AUDIT#<day>: actor, action, reason, details) whichever called it.

Every action needs an actor and a reason, checked by the API's text rules (one line,
not empty, no control or format characters), and happens at the programme time of the
stack it acts on (Target.now: the audit log's day, a retried payout's place in the queue)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pydantic_core import PydanticCustomError

from prakerja_flow import config
from prakerja_flow.data import audit, controls
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.errors import DomainError
from prakerja_flow.handlers import text
from prakerja_flow.handlers.api_models import ACTOR, REASON
from prakerja_flow.services import operator

from .aws import OpsUsageError, Target

WAVE_OPEN, WAVE_CLOSE = "wave.open", "wave.close"
PAUSE, RESUME = "payouts.pause", "payouts.resume"
RETRY, CANCEL, REDRIVE = "entitlement.retry", "participant.cancel", "execution.redrive"
REVEAL_NIK = "participant.reveal_nik"  # not an Action: it changes nothing, but is audited as one
# The audit log's action names are these names (services/operator.py, services/participants.py).
NAMES = (WAVE_OPEN, WAVE_CLOSE, PAUSE, RESUME, RETRY, CANCEL, REDRIVE)
ON_PARTICIPANT = (RETRY, CANCEL, REDRIVE)
SEQUENCES = {inc.POST_TRAINING: config.POST_TRAINING_PAYOUT_COUNT, inc.SURVEY: config.SURVEY_COUNT}


@dataclass(frozen=True)
class Action:
    name: str
    wave: int | None = None  # wave.*; payouts.* for one wave (None: programme-wide)
    participant_id: str | None = None
    kind: str | None = None
    sequence: int | None = None

    def question(self) -> str:
        """What a person confirms, in words."""
        if self.name in (WAVE_OPEN, WAVE_CLOSE):
            return f"{self.name.split('.')[1]} wave {self.wave} for registration?"
        if self.name == PAUSE:
            return "pause every payout run?" if self.wave is None else f"pause the payouts of wave {self.wave}?"
        if self.name == RESUME:
            return "resume payout runs?" if self.wave is None else f"resume the payouts of wave {self.wave}?"
        if self.name == RETRY:
            return f"retry {self.kind} {self.sequence} of {self.participant_id} at the next payout run?"
        if self.name == CANCEL:
            return f"cancel the participation of {self.participant_id}? This cannot be undone"
        return f"redrive the lifecycle execution of {self.participant_id} from the state that failed?"

    def params(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "name"}


@dataclass
class Outcome:
    lines: list[str]
    data: dict = field(default_factory=dict)


def _int(value: object, what: str, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise OpsUsageError(f"{what} must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise OpsUsageError(f"{what} must be {low}-{high}, not {number}")
    return number


def build(name: str, params: dict) -> Action:
    """An Action from its name and parameters as text (a CLI's arguments, a form's fields);
    bad usage raises OpsUsageError. A participant is named by id (resolve NIKs first)."""
    if name not in NAMES:
        raise OpsUsageError(f"unknown action {name!r}; actions: {', '.join(NAMES)}")
    wave = params.get("wave")
    if name in (WAVE_OPEN, WAVE_CLOSE):
        return Action(name, wave=_int(wave, "wave", config.WAVE_MIN, config.WAVE_MAX))
    if name in (PAUSE, RESUME):
        return Action(name, wave=None if wave in (None, "") else _int(wave, "wave", config.WAVE_MIN, config.WAVE_MAX))
    pid = str(params.get("participant_id") or "").strip()
    if not pid:
        raise OpsUsageError(f"{name} needs a participant")
    if name != RETRY:
        return Action(name, participant_id=pid)
    kind = str(params.get("kind") or "")
    if kind not in SEQUENCES:
        raise OpsUsageError(f"kind must be one of {', '.join(SEQUENCES)}, not {kind!r}")
    return Action(
        name, participant_id=pid, kind=kind, sequence=_int(params.get("sequence"), "sequence", 1, SEQUENCES[kind])
    )


def checked_words(actor: str, reason: str) -> tuple[str, str]:
    """Actor and reason as the audit log stores them (the API's rules for the same fields)."""
    found = []
    for option, value, rule in (("--actor", actor, ACTOR), ("--reason", reason, REASON)):
        try:
            text.refuse_forbidden(value, rule)
            found.append(text.normalise(value, rule))
        except PydanticCustomError as error:
            raise OpsUsageError(f"{option}: {error.message()}") from None
    return found[0], found[1]


def perform(target: Target, action: Action, actor: str, reason: str) -> Outcome:
    """Does it; operator.OperatorError (one line, nothing changed) when it cannot."""
    actor, reason = checked_words(actor, reason)
    at = target.now()
    if action.name in (WAVE_OPEN, WAVE_CLOSE):
        try:
            item = operator.change_wave(action.wave, action.name.split(".")[1], actor, reason, at)
        except DomainError as error:
            raise operator.OperatorError(str(error)) from None
        return Outcome([f"wave {action.wave} is {item['status']}"], {"wave": action.wave, "status": item["status"]})
    if action.name in (PAUSE, RESUME):
        return _pause(action, actor, reason, at)
    if action.name == RETRY:
        operator.retry_entitlement(action.participant_id, action.kind, action.sequence, actor, reason, at)
        return Outcome(
            [
                f"{action.kind} {action.sequence} of {action.participant_id} is DUE: the next payout run checks the "
                "account again and pays it or records why not"
            ],
            action.params(),
        )
    if action.name == CANCEL:
        out = operator.cancel_participation(action.participant_id, actor, reason, at)
        lines = [
            f"{action.participant_id} cancelled; "
            f"entitlements cancelled: {', '.join(out['cancelled_entitlements']) or 'none'}"
        ]
        if out["not_cancelled"]:
            lines.append(
                "left as they are (already sent to the provider or changed meanwhile): "
                f"{', '.join(out['not_cancelled'])}"
            )
        if not out["execution_told"]:
            lines.append(
                "the execution was not waiting: the cancellation waits in its inbox and ends it at its next wait"
            )
        return Outcome(lines, out)
    out = operator.redrive_execution(target.execution_arn(action.participant_id), actor, reason, at)
    return Outcome([f"redriven at {out['redrive_date']}"], out)


def _pause(action: Action, actor: str, reason: str, at) -> Outcome:
    paused = action.name == PAUSE
    if action.wave is None:
        operator.set_payouts_paused(paused, actor, reason, at)
        return Outcome(
            ["payouts paused: the payout run pays nothing until resumed" if paused else "payouts resumed"],
            {"paused": paused},
        )
    # A wave's pause (data/controls.py, read by every payout run), audited as the
    # programme-wide one is, with the wave in its details.
    controls.set_wave_pause(action.wave, paused, actor, reason, at)
    audit.append(actor, action.name, reason, at, wave=action.wave)
    return Outcome(
        [
            f"payouts of wave {action.wave} paused: the payout run pays none of its participants until resumed"
            if paused
            else f"payouts of wave {action.wave} resumed"
        ],
        {"paused": paused, "wave": action.wave},
    )


def reveal_nik(target: Target, participant_id: str, actor: str, reason: str) -> str:
    """A participant's full NIK, for the console's one page that shows it: written to the
    audit log (who, why, whose) before it is returned, so no NIK is seen unrecorded."""
    from . import identity  # it builds on this module

    return str(identity.reveal(target, participant_id, actor, reason)["nik"])
