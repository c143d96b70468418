"""Idempotency-Key on POSTs: retries replay the first success, another body is 422,
concurrent duplicates debit the balance once."""

from __future__ import annotations

import json
import threading

import pytest
from support.lifecycle_steps import consented_purchase, open_wave, purchase_body, register, table_state

from prakerja_flow import config
from prakerja_flow.handlers import idempotency


@pytest.fixture
def participant(cloud):
    open_wave(cloud)
    return register(cloud)


def balance(cloud, pid) -> int:
    return cloud.request("GET", f"/participants/{pid}")[1]["balance_idr"]


def test_a_retry_returns_the_first_response(cloud, participant):
    path, body = f"/participants/{participant}/purchases", consented_purchase(cloud, participant, "ORD1", 400_000)
    status, headers, first = cloud.http("POST", path, body, idempotency_key="retry-1")
    assert status == 201 and idempotency.REPLAYED_HEADER not in headers
    before = table_state(cloud)
    again_status, again_headers, again = cloud.http("POST", path, body, idempotency_key="retry-1")
    assert (again_status, again) == (201, first)
    assert again_headers[idempotency.REPLAYED_HEADER] == "true"
    assert table_state(cloud) == before
    assert balance(cloud, participant) == config.TRAINING_BALANCE_IDR - 400_000
    # Without the key the same retry is a duplicate purchase: refused, nothing debited twice.
    assert cloud.request("POST", path, body)[1]["error"]["code"] == "DuplicatePurchase"


def test_the_same_key_with_another_body_is_422(cloud, participant):
    path = f"/participants/{participant}/purchases"
    assert (
        cloud.request("POST", path, consented_purchase(cloud, participant, "ORD1", 400_000), idempotency_key="k1")[0]
        == 201
    )
    before = table_state(cloud)
    status, got = cloud.request("POST", path, purchase_body("ORD2", 100_000), idempotency_key="k1")
    assert (status, got["error"]["code"]) == (422, "IdempotencyKeyReused")
    assert table_state(cloud) == before


def test_keys_are_scoped_to_the_caller_and_route(cloud, participant):
    other = register(cloud, sequence=2)
    assert (
        cloud.request(
            "POST",
            f"/participants/{participant}/purchases",
            consented_purchase(cloud, participant, "ORD1", 400_000),
            idempotency_key="same",
        )[0]
        == 201
    )
    # Another platform's identical key is its own: no replay of someone else's response.
    status, got = cloud.request(
        "POST",
        f"/participants/{other}/purchases",
        consented_purchase(cloud, other, "ORD1", 400_000, platform="sekolahmu"),
        idempotency_key="same",
        principal="platform:sekolahmu",
    )
    assert status == 201 and got["remaining_balance_idr"] == config.TRAINING_BALANCE_IDR - 400_000


def test_a_refused_request_is_not_remembered(cloud, participant):
    path = f"/participants/{participant}/purchases"
    too_much = purchase_body("ORD1", config.TRAINING_BALANCE_IDR + 1)
    assert cloud.request("POST", path, too_much, idempotency_key="fix-me")[0] == 422
    # The fixed request may reuse the key: the refusal changed nothing and was not stored.
    assert (
        cloud.request("POST", path, consented_purchase(cloud, participant, "ORD1", 400_000), idempotency_key="fix-me")[
            0
        ]
        == 201
    )


@pytest.mark.parametrize(
    "key", ["", "x" * (config.IDEMPOTENCY_KEY_MAX_CHARS + 1), "has space", "ünï", "trailing-newline\n"]
)
def test_malformed_keys_are_422(cloud, participant, key):
    before = table_state(cloud)
    status, got = cloud.request(
        "POST",
        f"/participants/{participant}/purchases",
        purchase_body("ORD1", 400_000),
        headers={"Idempotency-Key": key},
    )
    assert (status, got["error"]["code"]) == (422, "ValidationError"), got
    assert table_state(cloud) == before


def test_concurrent_duplicates_through_the_api_debit_once(cloud, participant):
    path, body = f"/participants/{participant}/purchases", consented_purchase(cloud, participant, "ORD1", 400_000)
    barrier, results = threading.Barrier(4), []

    def post(key):
        barrier.wait()
        results.append(cloud.request("POST", path, body, idempotency_key=key))

    threads = [threading.Thread(target=post, args=(key,)) for key in ("same", "same", "other", None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    successes = [got for status, got in results if status == 201]
    # One purchase; a second 201 can only be the replay of "same" (the identical response).
    assert len(successes) in (1, 2) and all(got == successes[0] for got in successes), results
    assert all(
        got["error"]["code"] in ("DuplicatePurchase", "IdempotencyKeyInProgress")
        for status, got in results
        if status != 201
    )
    assert balance(cloud, participant) == config.TRAINING_BALANCE_IDR - 400_000


def test_a_second_request_while_the_first_runs_is_409_and_the_work_runs_once(cloud, participant):
    """Real overlap, as between two Lambda instances: the first request is held inside
    its work while the second arrives with the same key (the idempotency layer, its
    DynamoDB records and the purchase service; no in-process serialisation)."""
    from prakerja_flow.data import participants as profiles
    from prakerja_flow.domain.training import TrainingItem
    from prakerja_flow.services import training

    body = consented_purchase(cloud, participant, "ORD1", 400_000)
    event = {
        "httpMethod": "POST",
        "path": f"/participants/{participant}/purchases",
        "headers": {"Idempotency-Key": "k"},
        "body": json.dumps(body),
    }
    inside, release, runs = threading.Event(), threading.Event(), []

    def work() -> dict:
        runs.append(1)
        inside.set()
        release.wait(10)
        training.record_purchase(
            participant,
            "ORD1",
            "pijarmahir",
            [TrainingItem("T1", "LPK1", 400_000)],
            body["voucher_code"],
            cloud.clock(),
        )
        return {"statusCode": 201, "body": "{}"}

    def error(status, code, message):
        return {"statusCode": status, "body": json.dumps({"error": {"code": code}})}

    first: list[dict] = []
    thread = threading.Thread(
        target=lambda: first.append(idempotency.run(event, None, "platform:pijarmahir", work, error))
    )
    thread.start()
    assert inside.wait(10)
    second = idempotency.run(event, None, "platform:pijarmahir", work, error)
    release.set()
    thread.join(10)
    assert second["statusCode"] == 409 and json.loads(second["body"])["error"]["code"] == "IdempotencyKeyInProgress"
    assert first[0]["statusCode"] == 201 and len(runs) == 1
    third = idempotency.run(event, None, "platform:pijarmahir", work, error)
    assert third["statusCode"] == 201 and third["headers"][idempotency.REPLAYED_HEADER] == "true" and len(runs) == 1
    assert profiles.require(participant)["balance_idr"] == config.TRAINING_BALANCE_IDR - 400_000
