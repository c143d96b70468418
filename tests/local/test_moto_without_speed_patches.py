"""The speed patches give moto's own answers, and the system works without them.

1. Equivalence: each scenario of moto_scenarios.SCENARIOS (DynamoDB queries with GSIs and pages,
   transactions and rollbacks, condition and update expressions, response serialisation;
   Step Functions with one definition shared by two executions, the interpreter's boto3
   clients, in-process calls and Lambda's direct invoke) is run with every patch, then
   without each speed patch it exercises, then without any: a client sees the same answers
   and the same response bodies every time.
2. One full happy lifecycle (registration to the last rupiah) with no speed patch at all.

The README test command runs this module with the rest; with PRAKERJA_MOTO_SPEED_PATCHES=0
(the whole suite on moto's own code, the first step of a moto upgrade) the equivalence
tests are skipped, with that reason in the summary: there is nothing to compare them with."""

from __future__ import annotations

import gc
import json
import sys
import threading
from datetime import timedelta

import moto_scenarios as scenarios
import pytest
import scenarios_dynamodb as dynamodb
from support.lifecycle_steps import GRANTED, open_wave, paid_lines, survey, trained_and_rated, view  # noqa: I001 (tests/integration)

from prakerja.local import moto_patches
from prakerja.local.cloud import LocalCloud
from prakerja.local.moto_patches import speed
from prakerja_flow import config
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider

EXERCISED_BY = {
    speed.shared_service_models: ("dynamodb_queries", "step_functions"),
    speed.narrowed_queries: ("dynamodb_queries", "dynamodb_transactions"),
    speed.item_level_transactions: ("dynamodb_transactions",),
    speed.shared_definitions: ("step_functions",),
    speed.reused_boto_clients: ("step_functions",),
    speed.serialiser_aliases: ("dynamodb_serialisation",),
    speed.serialiser_attribute_values: ("dynamodb_serialisation", "dynamodb_queries"),
    speed.kept_method_names: ("dynamodb_expressions",),
    speed.update_expressions_parsed_once: ("dynamodb_expressions",),
    speed.condition_expressions_parsed_once: ("dynamodb_expressions", "dynamodb_transactions"),
    speed.json_paths_parsed_once: ("step_functions",),
    speed.weak_item_tracking: ("dynamodb_queries",),
    speed.direct_calls: ("dynamodb_expressions", "dynamodb_transactions"),
    speed.direct_lambda_invoke: ("step_functions",),
}
CASES = [(patch, scenario) for patch, names in EXERCISED_BY.items() for scenario in names]
speed_patches_on = pytest.mark.skipif(
    not moto_patches.speed_patches_enabled(),
    reason=f"{moto_patches.SPEED_SWITCH}=0: no speed patch is installed, so there is nothing to compare",
)


@pytest.fixture(scope="module")
def patched() -> dict[str, list]:
    """What each scenario's client sees with every patch installed."""
    moto_patches.install()
    if moto_patches.speed_patches_enabled():
        assert len([name for name in moto_patches.installed() if name.startswith("speed.")]) == len(speed.PATCHES)
    return {name: scenarios.run(scenario) for name, scenario in scenarios.SCENARIOS.items()}


def test_every_speed_patch_has_an_equivalence_scenario():
    assert set(EXERCISED_BY) == set(speed.PATCHES)
    assert {s for names in EXERCISED_BY.values() for s in names} == set(scenarios.SCENARIOS)


def test_the_scenarios_see_answers_and_errors(patched):
    """The comparisons below compare something: answers, refusals, and moto's own errors."""
    kinds = {kind for seen in patched.values() for _, kind, _, _ in seen}
    assert kinds == {"ok", "error", "raised"}
    pages = [
        parsed for op, kind, parsed, _ in patched["dynamodb_queries"] if op == "query" and "LastEvaluatedKey" in parsed
    ]
    assert len(pages) >= 4


@speed_patches_on
@pytest.mark.parametrize("patch,scenario", CASES, ids=[f"{p.__name__.rsplit('.', 1)[-1]}-{s}" for p, s in CASES])
def test_without_one_speed_patch_the_answers_are_the_same(patched, patch, scenario):
    with moto_patches.without(patch):
        assert scenarios.run(scenarios.SCENARIOS[scenario]) == patched[scenario]


@speed_patches_on
@pytest.mark.parametrize("scenario", list(scenarios.SCENARIOS))
def test_without_any_speed_patch_the_answers_are_the_same(patched, scenario):
    with moto_patches.without(*speed.PATCHES):
        assert not [name for name in moto_patches.installed() if name.startswith("speed.")]
        assert scenarios.run(scenarios.SCENARIOS[scenario]) == patched[scenario]


def _calls_into(patch, scenario: str) -> int:
    """Calls of the functions a patch module defines (its `install` aside) while a scenario
    runs, on every thread (Step Functions tasks run on the interpreter's threads)."""
    filename = patch.__file__
    calls = [0]

    def profile(frame, event, _arg):
        if event == "call" and frame.f_code.co_filename == filename and frame.f_code.co_name != "install":
            calls[0] += 1

    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        scenarios.run(scenarios.SCENARIOS[scenario])
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        sys.setprofile(None)
    return calls[0]


@speed_patches_on
@pytest.mark.parametrize("patch", speed.PATCHES, ids=[p.__name__.rsplit(".", 1)[-1] for p in speed.PATCHES])
def test_each_speed_patch_does_its_work_in_its_scenarios_and_not_without_it(patched, patch):
    """The other half of the equivalence tests: a scenario that gives the same answers
    without a patch must also run that patch's code when it is installed, or it compares
    nothing. Without the patch, none of its code runs."""
    assert sum(_calls_into(patch, scenario) for scenario in EXERCISED_BY[patch]) > 0
    with moto_patches.without(patch):
        assert sum(_calls_into(patch, scenario) for scenario in EXERCISED_BY[patch]) == 0


@speed_patches_on
def test_weak_item_tracking_keeps_every_live_item_and_frees_discarded_copies():
    from moto.dynamodb.models.dynamo_type import Item

    def tracked_after_queries() -> tuple[int, set]:
        with scenarios.moto_world():
            recorder = scenarios.Recorder()
            ddb = recorder.client("dynamodb")
            dynamodb.make_tables(recorder, ddb)
            for k in range(20):
                recorder(ddb, "put_item", TableName=dynamodb.TABLE, Item=dynamodb.item(1, k))
            for _ in range(10):  # every query answer is a fresh copy of each item
                recorder(
                    ddb,
                    "query",
                    TableName=dynamodb.TABLE,
                    KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": dynamodb.s("P#1")},
                )
            recorder.seen.clear()
            gc.collect()
            tracked = list(Item.instances_tracked)
            from moto.dynamodb.models import dynamodb_backends

            stored = [
                i for i in dynamodb_backends["123456789012"][scenarios.REGION].get_table(dynamodb.TABLE).all_items()
            ]
            return len(tracked), {id(i) for i in stored} - {id(i) for i in tracked}

    count, untracked = tracked_after_queries()
    assert untracked == set() and count < 40  # the 20 stored items (and no pile of copies)
    with moto_patches.without(speed.weak_item_tracking):
        count_without, untracked_without = tracked_after_queries()
    assert untracked_without == set() and count_without >= 20 * 10


def test_a_happy_lifecycle_without_any_speed_patch():
    with moto_patches.without(*speed.PATCHES), LocalCloud(provider=FakeProvider()) as cloud:
        assert [name for name in moto_patches.installed() if name.startswith("speed.")] == []
        open_wave(cloud)
        pid = trained_and_rated(cloud)
        submitted: set[int] = set()
        for _ in range(30):  # ten programme days at a time, the daily jobs run once each time
            for sequence in sorted(set(range(1, config.SURVEY_COUNT + 1)) - submitted):
                status, body = survey(cloud, pid, sequence)
                if status == 201:
                    submitted.add(sequence)
                else:
                    assert body["error"]["code"] == "SurveyNotOpen", body
            if {e["status"] for e in view(cloud, pid)["entitlements"]} == {inc.PAID}:
                break
            cloud.clock.advance(timedelta(days=10))
            cloud.run_scheduled()
            cloud.settle()
        assert submitted == {1, 2, 3}
        kinds = sorted((line["kind"], line["sequence"], line["amount_idr"]) for line in paid_lines(cloud))
        assert kinds == [(inc.POST_TRAINING, n, config.POST_TRAINING_PAYOUT_IDR) for n in range(1, 5)] + [
            (inc.SURVEY, n, config.SURVEY_PAYMENT_IDR) for n in range(1, 4)
        ]
        assert view(cloud, pid)["cash_paid_idr"] == config.CASH_INCENTIVE_CAP_IDR
        assert cloud.current_state(pid) == GRANTED  # ended at the grant; the payout runs paid (ADR 0013)
        history = cloud.history(pid)
        assert json.loads(history[-1]["executionSucceededEventDetails"]["output"])["participant_id"] == pid
