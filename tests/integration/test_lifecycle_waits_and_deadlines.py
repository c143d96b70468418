"""Waiting for outside events (task tokens), deadlines enforced by the scheduled sweep,
and the state machine's own Catch rules for named business errors."""

from __future__ import annotations

import pytest
from support.lifecycle_steps import (
    GRANTED,
    UNISSUED_VOUCHER,
    advance_days,
    buy,
    complete,
    nik,
    open_wave,
    paid_lines,
    payout_account,
    rate,
    register,
    register_started_at_registration,
    view,
)

from prakerja.local import invoker
from prakerja_flow import catalogue, clock, config
from prakerja_flow.data import inbox, ledger, purchases, rating_window, workflow
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain import errors
from prakerja_flow.services import events, lifecycle_start

AWAIT_EVENT = catalogue.by_key("await-event").function_name
VERIFY_COMPLETION = catalogue.by_key("verify-completion").function_name


def test_no_rating_means_no_payout_ever_and_the_execution_ends_when_the_window_closes(cloud):
    open_wave(cloud)
    pid = register(cloud)
    payout_account(cloud, pid, nik(1))
    buy(cloud, pid)
    complete(cloud, pid)
    cloud.wait_for_token(pid, "RATING")
    advance_days(cloud, config.RATING_WINDOW.days - 1)
    standing = view(cloud, pid)
    assert standing["waiting_for"] == ["RATING"] and cloud.current_state(pid) == "AwaitRating"
    assert "waiting for rating of training T1" in standing["diagnosis"] and "rate it by" in standing["diagnosis"]
    advance_days(cloud, 2)  # the window's end passes: the deadline sweep closes it
    cloud.wait_for_state(pid, "RatingWindowClosed")
    cloud.wait_until(lambda: cloud.executions("SUCCEEDED"), what="the execution to end")
    standing = view(cloud, pid)
    assert standing["entitlements"] == [] and standing["waiting_for"] == []
    assert standing["diagnosis"].startswith("no incentive: the rating window closed on ")
    # A rating now is refused and changes nothing; nothing is ever paid.
    status, body = cloud.request(
        "POST",
        f"/participants/{pid}/purchases/ORD1/rating",
        {"instructor": 5, "facilities": 4, "programme": 5, "review": "Bagus sekali pelatihannya."},
    )
    assert status == 409 and body["error"]["code"] == "RatingWindowClosed", body
    assert "no rating, no incentive" in body["error"]["message"]
    assert purchases.get(pid, "ORD1").get("rating") is None
    advance_days(cloud, 60)
    assert paid_lines(cloud) == [] and view(cloud, pid)["entitlements"] == []


def test_a_rating_on_the_windows_last_day_still_earns_the_incentive(cloud):
    open_wave(cloud)
    pid = register(cloud)
    payout_account(cloud, pid, nik(1))
    buy(cloud, pid)
    complete(cloud, pid)
    cloud.wait_for_token(pid, "RATING")
    advance_days(cloud, config.RATING_WINDOW.days - 1)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)  # the sweep meets the window: rated in time
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    assert not profiles.require(pid).get("rating_window_closed_at")


def test_the_windows_close_and_a_rating_exclude_each_other(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid)
    complete(cloud, pid)
    at = cloud.clock()
    # Rated first: the sweep's close finds the rating and writes nothing.
    rate(cloud, pid)
    assert rating_window.close(pid, purchases.of(pid), at) == rating_window.RATED
    assert not profiles.require(pid).get("rating_window_closed_at")
    # Closed first: the rating's transaction finds the window closed.
    other = register(cloud, 2)
    buy(cloud, other)
    complete(cloud, other)
    assert rating_window.close(other, purchases.of(other), at) == rating_window.CLOSED
    with pytest.raises(errors.RatingWindowClosed):
        purchases.rate(other, "ORD1", {"instructor": 5, "facilities": 5, "programme": 5, "review": "ok"}, at)
    assert purchases.get(other, "ORD1").get("rating") is None


@pytest.mark.parametrize("started", ["at the first certificate", "at registration, before ADR 0015"])
def test_missed_purchase_deadline_revokes_and_forfeits_the_balance(cloud, started):
    open_wave(cloud)
    pid = register(cloud) if started == "at the first certificate" else register_started_at_registration(cloud)
    advance_days(cloud, config.PURCHASE_DEADLINE.days)
    assert view(cloud, pid)["status"] == "ACTIVE"  # the deadline day itself still counts
    advance_days(cloud, 1)
    if started == "at the first certificate":
        assert cloud.executions() == []  # never bought, never an execution: the sweep revoked
    else:
        cloud.wait_until(lambda: cloud.current_state(pid) == "Revoked", what="revocation")
    standing = view(cloud, pid)
    assert (standing["status"], standing["balance_idr"]) == ("REVOKED", 0)
    booked = {entry["entry"]: entry["amount_idr"] for entry in ledger.lines(pid)}
    assert booked == {"BALANCE_GRANTED": config.TRAINING_BALANCE_IDR, "BALANCE_FORFEITED": -config.TRAINING_BALANCE_IDR}
    status, body = cloud.request(
        "POST",
        f"/participants/{pid}/purchases",
        {
            "purchase_id": "LATE",
            "trainings": [{"training_id": "T", "institution_id": "I", "price_idr": 1000}],
            "voucher_code": UNISSUED_VOUCHER,
        },
    )
    assert (status, body["error"]["code"]) == (409, "ParticipantNotActive")
    advance_days(cloud, 2)  # a repeated sweep does not forfeit twice
    assert [e["entry"] for e in ledger.lines(pid)].count("BALANCE_FORFEITED") == 1


def test_an_event_that_arrives_before_its_token_is_not_lost(cloud):
    open_wave(cloud)
    with invoker.hold(AWAIT_EVENT):
        pid = register(cloud)
        # Started at registration (before ADR 0015): it enters AwaitTrainingPurchase but cannot store its token yet.
        lifecycle_start.start(profiles.require(pid))
        cloud.wait_for_state(pid, "AwaitTrainingPurchase")
        buy(cloud, pid)
        assert inbox.get_token(pid, "PURCHASE") is None
        assert inbox.get(pid, "PURCHASE") is not None  # parked, waiting for the token
    cloud.wait_for_state(pid, "AwaitCompletion")
    assert inbox.get(pid, "PURCHASE") is None  # delivered exactly once
    history = [e["stateEnteredEventDetails"]["name"] for e in cloud.history(pid) if e["type"].endswith("StateEntered")]
    assert history.count("AwaitTrainingPurchase") == 1 and history.count("VerifyPurchase") == 1


def test_a_stale_token_gives_the_event_back_for_the_next_wait(cloud):
    open_wave(cloud)
    pid = register_started_at_registration(cloud)
    inbox.put_token(pid, "COMPLETION", "not-a-live-token", clock.now())
    assert events.publish(pid, "COMPLETION", {"purchase_id": "X"}, clock.now()) is False
    assert inbox.get_token(pid, "COMPLETION") is None
    assert inbox.get(pid, "COMPLETION")["event"] == {"purchase_id": "X"}


def test_a_used_token_cannot_resume_the_execution_twice(cloud):
    open_wave(cloud)
    pid = register_started_at_registration(cloud)
    token = inbox.get_token(pid, "PURCHASE")
    buy(cloud, pid)
    cloud.wait_for_state(pid, "AwaitCompletion")
    try:
        workflow.send_success(token, {"purchase_id": "ORD1"})
        raise AssertionError("a used token was accepted")
    except workflow.StaleToken:
        pass
    status, body = cloud.request(
        "POST",
        f"/participants/{pid}/purchases",
        {
            "purchase_id": "ORD1",
            "trainings": [{"training_id": "T1", "institution_id": "LPK1", "price_idr": 1000}],
            "voucher_code": UNISSUED_VOUCHER,
        },
    )
    assert (status, body["error"]["code"]) == (409, "DuplicatePurchase")
    assert view(cloud, pid)["balance_idr"] == 0


def test_a_forged_bundle_event_is_caught_by_the_state_machine(cloud):
    """The API never records a bundle; if a bundle record appears anyway (a bug, a manual
    edit), VerifyPurchase raises BundleNotAllowed and the ASL sends the participant back
    to AwaitTrainingPurchase instead of paying."""
    open_wave(cloud)
    pid = register_started_at_registration(cloud)
    forged = {
        "pk": f"P#{pid}",
        "sk": "PURCHASE#FORGED",
        "type": "PURCHASE",
        "participant_id": pid,
        "purchase_id": "FORGED",
        "platform_id": "x",
        "training_id": "T",
        "institution_id": "I",
        "price_idr": 300_000,
        "training_count": 3,
        "status": "PURCHASED",
    }
    cloud.ddb.put_item(
        TableName=cloud.table_name, Item=__import__("prakerja_flow.data.dynamo", fromlist=["to_ddb"]).to_ddb(forged)
    )
    events.publish(pid, "PURCHASE", {"purchase_id": "FORGED"}, clock.now())
    cloud.wait_until(
        lambda: (
            [
                e["stateEnteredEventDetails"]["name"] for e in cloud.history(pid) if e["type"] == "TaskStateEntered"
            ].count("AwaitTrainingPurchase")
            == 2
        ),
        what="the state machine to return to AwaitTrainingPurchase",
    )
    failures = [e for e in cloud.history(pid) if e["type"] == "LambdaFunctionFailed" or e["type"] == "TaskFailed"]
    assert any("BundleNotAllowed" in str(e) for e in failures)


def test_a_mismatched_certificate_sends_the_lifecycle_back_to_await_completion(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid)
    with invoker.hold(VERIFY_COMPLETION):  # the check waits until the tampering is done
        complete(cloud, pid)  # starts the lifecycle (ADR 0015)
        # Tamper with the stored certificate before the state machine checks it.
        cloud.ddb.update_item(
            TableName=cloud.table_name,
            Key={"pk": {"S": f"P#{pid}"}, "sk": {"S": "PURCHASE#ORD1"}},
            UpdateExpression="SET completion.training_id = :t",
            ExpressionAttributeValues={":t": {"S": "T-OTHER"}},
        )
    cloud.wait_until(lambda: "CompletionMismatch" in str(cloud.history(pid)), what="CompletionMismatch")
    cloud.wait_for_state(pid, "AwaitCompletion")
    assert "AwaitRating" not in str(cloud.history(pid))


def test_two_trainings_two_certificates_rated_both_is_paid_once(cloud):
    """The seed's complaint, made impossible: the first completed and rated training
    earns the incentive, exactly once, and the second earns nothing more."""
    open_wave(cloud)
    pid = register(cloud)
    payout_account(cloud, pid, nik(1))
    buy(cloud, pid, "ORD1", 600_000, "T1")
    complete(cloud, pid, "ORD1", "T1")
    buy(cloud, pid, "ORD2", 400_000, "T2")
    complete(cloud, pid, "ORD2", "T2")
    rate(cloud, pid, "ORD1")
    rate(cloud, pid, "ORD2")
    cloud.wait_for_end(pid, GRANTED)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 3 * config.PAYOUT_INTERVAL.days + 1)
    lines = paid_lines(cloud)
    assert [line["sequence"] for line in lines] == [1, 2, 3, 4]
    assert len({line["idempotency_key"] for line in lines}) == 4
    assert view(cloud, pid)["cash_paid_idr"] == 4 * config.POST_TRAINING_PAYOUT_IDR
