"""Money invariants of a local run, checked from three independent records: the
provider's statement, our ledger, and the participants' entitlements."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from prakerja_flow import config
from prakerja_flow.data import keys
from prakerja_flow.domain import incentives as inc

from .statement_check import statement_problems

if TYPE_CHECKING:
    from .local.cloud import LocalCloud
    from .simulate import Persona


def check_invariants(cloud: LocalCloud, personas: list[Persona]) -> list[str]:
    lines = cloud.provider.statement_lines()
    problems = statement_problems(lines)
    # By entitlement: a line carries its transfer key (the entitlement's, or a later one after a rejection).
    paid_by_key = {inc.entitlement_key(line["idempotency_key"]): line for line in lines if line["status"] == "PAID"}
    statement_by_participant: dict[str, int] = defaultdict(int)
    for line in paid_by_key.values():
        statement_by_participant[line["participant_id"]] += line["amount_idr"]

    items_by_participant: dict[str, list[dict]] = defaultdict(list)
    for item in cloud.scan():
        pid = keys.participant_id_of(item["pk"])
        if pid:
            items_by_participant[pid].append(item)

    for pid, items in items_by_participant.items():
        problems += _participant_problems(pid, items, paid_by_key, statement_by_participant[pid])
    for execution in cloud.executions("FAILED"):
        detail = cloud.sfn.describe_execution(executionArn=execution["executionArn"])
        problems.append(
            f"execution {execution['name']} FAILED: {detail.get('error')}: {str(detail.get('cause'))[:300]}"
        )
    problems += _persona_expectations(cloud, personas, items_by_participant)
    return problems


def _participant_problems(pid: str, items: list[dict], paid_by_key: dict[str, dict], statement_total: int) -> list[str]:
    problems: list[str] = []
    profile = next(i for i in items if i["sk"] == keys.PROFILE)
    ledger = [i for i in items if i["sk"].startswith(keys.LEDGER)]
    ents = [i for i in items if i["sk"].startswith(keys.ENTITLEMENT)]
    balance_moves = sum(
        e["amount_idr"] for e in ledger if e["entry"] in ("BALANCE_GRANTED", "TRAINING_PURCHASE", "BALANCE_FORFEITED")
    )
    if balance_moves != profile["balance_idr"]:
        problems.append(f"{pid}: ledger says balance Rp{balance_moves:,}, profile says Rp{profile['balance_idr']:,}")
    cash = sum(e["amount_idr"] for e in ledger if e["entry"].endswith("_PAID"))
    if not cash == profile["cash_paid_idr"] == statement_total:
        problems.append(
            f"{pid}: cash paid ledger Rp{cash:,}, profile Rp{profile['cash_paid_idr']:,}, "
            f"provider statement Rp{statement_total:,}"
        )
    if profile["cash_paid_idr"] > config.CASH_INCENTIVE_CAP_IDR:
        problems.append(f"{pid}: cash Rp{profile['cash_paid_idr']:,} above the cap")
    spent = config.TRAINING_BALANCE_IDR - profile["balance_idr"] - profile.get("forfeited_idr", 0)
    if spent < 0 or spent + profile["cash_paid_idr"] > config.PACKAGE_CAP_IDR:
        problems.append(f"{pid}: package total out of bounds (spent Rp{spent:,}, cash Rp{profile['cash_paid_idr']:,})")
    for ent in ents:
        line = paid_by_key.get(ent["idempotency_key"])
        if ent["status"] == inc.PAID and (line is None or line["amount_idr"] != ent["amount_idr"]):
            problems.append(f"{ent['idempotency_key']}: PAID here but not on the provider statement")
        if ent["status"] != inc.PAID and line is not None:
            problems.append(f"{ent['idempotency_key']}: paid by the provider but {ent['status']} here")
        if ent["status"] == inc.FAILED and not ent.get("failure_reason"):
            problems.append(f"{ent['idempotency_key']}: FAILED without a reason")
    return problems


def _persona_expectations(
    cloud: LocalCloud, personas: list[Persona], items_by_participant: dict[str, list[dict]]
) -> list[str]:
    problems: list[str] = []
    statuses = {e["name"]: e["status"] for e in cloud.executions()}
    for p in personas:
        if not p.participant_id:
            problems.append(f"persona {p.index} was never registered")
            continue
        items = items_by_participant[p.participant_id]
        profile = next(i for i in items if i["sk"] == keys.PROFILE)
        cash = profile["cash_paid_idr"]
        if p.kind == "never_buys":
            if profile["status"] != "REVOKED" or profile.get("forfeited_idr") != config.TRAINING_BALANCE_IDR or cash:
                problems.append(f"{p.participant_id}: never bought, expected REVOKED with the balance forfeited")
        elif p.kind in ("never_rates", "account_in_other_name"):
            if cash:
                problems.append(f"{p.participant_id}: {p.kind} but Rp{cash:,} was paid")
        else:
            expected = (
                config.POST_TRAINING_PAYOUT_IDR * config.POST_TRAINING_PAYOUT_COUNT
                + config.SURVEY_PAYMENT_IDR * len(p.surveys)
            )
            if cash != expected or statuses.get(p.participant_id) != "SUCCEEDED":
                problems.append(
                    f"{p.participant_id}: expected Rp{expected:,} and a finished lifecycle, got Rp{cash:,} "
                    f"and {statuses.get(p.participant_id)}"
                )
    return problems
