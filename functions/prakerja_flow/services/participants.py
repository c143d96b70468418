"""Waves, registration, payout accounts and surveys."""

from __future__ import annotations

from datetime import datetime

from .. import clock, ids
from ..data import accounts, audit, entitlements
from ..data import participants as profiles
from ..data import waves as waves_data
from ..domain import errors, participation, survey_windows, waves
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
    waves.require_open(wave, wave_item["status"])
    guards = profiles.nik_guards(nik)  # one KMS request, used by the check and the write
    if profiles.find_id_by_nik(nik, guards):
        raise errors.DuplicateNik("this NIK already holds a Kartu Prakerja (one person, one card, across all waves)")
    participant_id = ids.new_participant_id()
    profile = participation.accepted(participant_id, nik, full_name, wave, info.gender, info.birth_date.isoformat(), at)
    # One transaction, and no execution yet: the lifecycle starts at the first certificate
    # (ADR 0015), and until then the table and the deadline sweep carry the participant.
    profiles.register(profile, guards, at)
    logger.info("participant registered", extra=masked({"participant_id": participant_id, "nik": nik, "wave": wave}))
    return profile


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
    ents = entitlements.of(participant_id)  # one query: the survey and the payouts that open it
    survey = next((e for e in ents if e["kind"] == inc.SURVEY and e["sequence"] == sequence), None)
    if survey is None:
        raise errors.SurveyNotFound(
            f"survey {sequence} is not available to this participant (no incentive granted yet)"
        )
    if survey.get("submitted_at"):
        raise errors.SurveyAlreadySubmitted(f"survey {sequence} was already submitted")
    opens, expires = survey.get("opens_at"), survey.get("expires_at")
    problem = inc.survey_window_problem(
        at,
        clock.parse(opens) if opens else None,
        clock.parse(expires) if expires else None,
        survey_windows.first_payout_paid(ents),
    )
    if problem:
        raise errors.SurveyNotOpen(problem)
    entitlements.submit_survey(participant_id, sequence, answers, at)
    return entitlements.get(participant_id, inc.SURVEY, sequence)
