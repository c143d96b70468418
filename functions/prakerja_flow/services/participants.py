"""Waves, registration, payout accounts and surveys."""

from __future__ import annotations

from datetime import datetime

from .. import clock, ids
from ..data import accounts, audit, entitlements, workflow
from ..data import participants as profiles
from ..data import waves as waves_data
from ..domain import errors, participation, waves
from ..domain import incentives as inc
from ..domain import nik as nik_rules
from ..domain import payout_guard as guard
from ..domain.training import programme_date
from ..observability import logger, masked


def change_wave(number: int, action: str, actor: str, reason: str, at: datetime) -> dict:
    current = waves_data.get(number)
    status = waves.next_wave_status(current["status"] if current else None, action)
    item = waves_data.put_status(number, current["status"] if current else None, status, at)
    audit.append(actor, f"wave.{action}", reason, at, wave=number)
    return item


def register(nik: str, full_name: str, wave: int, at: datetime) -> dict:
    info = nik_rules.require_eligible_nik(nik, programme_date(at))
    wave_item = waves_data.get(wave)
    if wave_item is None:
        raise errors.WaveNotFound(f"wave {wave} does not exist")
    existing = profiles.find_id_by_nik(nik)
    if existing:
        # Accepted while the wave was open: its retry completes it even if the wave closed since.
        healed = _heal_missing_execution(existing)
        if healed is not None and (healed["full_name"], healed["wave"]) == (full_name, wave):
            return healed  # this very registration, whose lifecycle had not started: now complete
    waves.require_open(wave, wave_item["status"])
    if existing:
        raise errors.DuplicateNik("this NIK already holds a Kartu Prakerja (one person, one card, across all waves)")
    participant_id = ids.new_participant_id()
    profile = participation.accepted(participant_id, nik, full_name, wave, info.gender, info.birth_date.isoformat(), at)
    profiles.register(profile, nik, at)
    profile["execution_arn"] = _start(profile)
    logger.info("participant registered", extra=masked({"participant_id": participant_id, "nik": nik, "wave": wave}))
    return profile


def _start(profile: dict) -> str:
    arn = workflow.start_lifecycle(
        profile["participant_id"],
        {
            "participant_id": profile["participant_id"],
            "wave": profile["wave"],
            "accepted_at": profile["accepted_at"],
            "purchase_deadline": profile["purchase_deadline"],
        },
    )
    profiles.set_execution_arn(profile["participant_id"], arn)
    return arn


def _heal_missing_execution(participant_id: str) -> dict | None:
    """A crash or a throttled StartExecution between the registration write and the start
    leaves a participant without a lifecycle; the retry of that registration starts it.
    Returns the profile when this call started it (None when there was nothing to heal)."""
    profile = profiles.get(participant_id)
    if profile and not profile.get("execution_arn") and profile["status"] == participation.ACTIVE:
        profile["execution_arn"] = _start(profile)
        return dict(profile)
    return None


def set_payout_account(participant_id: str, channel: str, account_number: str, actor: str, at: datetime) -> dict:
    """Sets the payout account; replacing another starts a cooling-off hold before the new
    one is paid (domain/payout_guard.hold_after_change). The change, who made it and what
    it replaced are kept in the participant's account history."""
    account = {"channel": channel, "account_number": account_number}
    for _ in range(3):
        profile = profiles.require(participant_id)
        previous = profile.get("payout_account")
        if previous == account:
            break  # no change: nothing written, an existing hold stays as it is
        hold_until = guard.hold_after_change(previous, account, at)
        if accounts.replace(participant_id, account, profile, hold_until, actor, at):
            logger.info(
                "payout account changed",
                extra={
                    "participant_id": participant_id,
                    "actor": actor,
                    "hold_until": clock.iso(hold_until) if hold_until else None,
                },
            )
            break
    else:
        raise errors.IllegalTransition("the payout account changed concurrently; read it again")
    return account


def submit_survey(participant_id: str, sequence: int, answers: dict, at: datetime) -> dict:
    profiles.require(participant_id)
    survey = entitlements.get(participant_id, inc.SURVEY, sequence)
    if survey is None:
        raise errors.SurveyNotFound(
            f"survey {sequence} is not available to this participant (no incentive granted yet)"
        )
    if survey.get("submitted_at"):
        raise errors.SurveyAlreadySubmitted(f"survey {sequence} was already submitted")
    first = entitlements.get(participant_id, inc.POST_TRAINING, 1)
    problem = inc.survey_window_problem(
        at,
        clock.parse(survey["opens_at"]),
        clock.parse(survey["expires_at"]),
        bool(first and first["status"] == inc.PAID),
    )
    if problem:
        raise errors.SurveyNotOpen(problem)
    entitlements.submit_survey(participant_id, sequence, answers, at)
    return entitlements.get(participant_id, inc.SURVEY, sequence)
