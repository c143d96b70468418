"""Bad input and refused business actions get a clear 4xx and write nothing."""

from __future__ import annotations

import pytest
from support.lifecycle_steps import GRANTED, buy, complete, nik, open_wave, purchase_body, refused, register

from prakerja_flow import config


def test_bundle_is_refused_and_nothing_is_written(cloud):
    open_wave(cloud)
    pid = register(cloud)
    body = refused(
        cloud,
        "POST",
        f"/participants/{pid}/purchases",
        purchase_body("ORD1", 300_000, extra_lines=1),
        422,
        "BundleNotAllowed",
    )
    assert "bundle" in body["error"]["message"]
    assert cloud.executions() == []  # the refusal started nothing (the first certificate does)
    assert buy(cloud, pid, "ORD1", 300_000)["remaining_balance_idr"] == config.TRAINING_BALANCE_IDR - 300_000


def test_purchase_over_the_remaining_balance_is_refused(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid, "ORD1", 700_000)
    complete(cloud, pid)
    refused(
        cloud,
        "POST",
        f"/participants/{pid}/purchases",
        purchase_body("ORD2", 300_001, "T2"),
        409,
        "InsufficientBalance",
    )
    assert buy(cloud, pid, "ORD2", 300_000, "T2")["remaining_balance_idr"] == 0


def test_second_training_only_after_the_first_is_finished(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid, "ORD1", 400_000)
    refused(
        cloud,
        "POST",
        f"/participants/{pid}/purchases",
        purchase_body("ORD2", 100_000, "T2"),
        409,
        "PreviousTrainingNotFinished",
    )


def test_duplicate_nik_is_refused_in_the_same_and_in_a_later_wave(cloud):
    open_wave(cloud, 1)
    register(cloud, sequence=7)
    refused(cloud, "POST", "/participants", {"nik": nik(7), "full_name": "Again", "wave": 1}, 409, "DuplicateNik")
    open_wave(cloud, 2)
    refused(cloud, "POST", "/participants", {"nik": nik(7), "full_name": "Again", "wave": 2}, 409, "DuplicateNik")
    assert cloud.executions() == []  # registration starts none (ADR 0015); one profile holds the NIK


def test_registration_needs_an_open_wave(cloud):
    refused(cloud, "POST", "/participants", {"nik": nik(1), "full_name": "A", "wave": 4}, 404, "WaveNotFound")
    open_wave(cloud, 4)
    assert cloud.request("POST", "/waves/4/close", {"actor": "ops", "reason": "quota reached"})[0] == 200
    refused(cloud, "POST", "/participants", {"nik": nik(1), "full_name": "A", "wave": 4}, 409, "WaveClosed")
    assert cloud.executions() == []


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"nik": "9971010101900001", "full_name": "A", "wave": 1}, 422, "InvalidNik"),  # no province 99
        ({"nik": "3171013102900001", "full_name": "A", "wave": 1}, 422, "InvalidNik"),  # 31 February
        ({"nik": nik(1, born=__import__("datetime").date(2010, 1, 1)), "full_name": "A", "wave": 1}, 422, "Underage"),
        ({"nik": "317101170590001", "full_name": "A", "wave": 1}, 422, "ValidationError"),  # 15 digits
        ({"nik": nik(1), "full_name": "A", "wave": 1, "role": "admin"}, 422, "ValidationError"),  # unknown field
        ({"nik": nik(1), "full_name": "A", "wave": "1"}, 422, "ValidationError"),  # strings are not numbers
    ],
)
def test_invalid_registrations(cloud, body, status, code):
    open_wave(cloud)
    refused(cloud, "POST", "/participants", body, status, code)


@pytest.mark.parametrize(
    "mutate, code",
    [
        (lambda b: b["trainings"][0].update(price_idr=500_000.0), "ValidationError"),  # floats are not rupiah
        (lambda b: b["trainings"][0].update(price_idr=0), "ValidationError"),
        (lambda b: b["trainings"][0].update(price_idr=config.TRAINING_BALANCE_IDR + 1), "ValidationError"),
        (lambda b: b.update(trainings=[]), "ValidationError"),
        (lambda b: b.update(coupon="FREE"), "ValidationError"),
    ],
)
def test_invalid_purchases(cloud, mutate, code):
    open_wave(cloud)
    pid = register(cloud)
    body = purchase_body("ORD1", 500_000)
    mutate(body)
    refused(cloud, "POST", f"/participants/{pid}/purchases", body, 422, code)


def test_rating_out_of_range_and_before_completion(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid)
    rating = {"instructor": 6, "facilities": 4, "programme": 5, "review": "cukup bagus sekali"}
    refused(cloud, "POST", f"/participants/{pid}/purchases/ORD1/rating", rating, 422, "ValidationError")
    rating["instructor"] = 5
    refused(cloud, "POST", f"/participants/{pid}/purchases/ORD1/rating", rating, 409, "NotCompleted")


def test_completion_of_another_training_is_a_mismatch(cloud):
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid)
    body = {"training_id": "T-OTHER", "certificate_id": "C1"}
    refused(cloud, "POST", f"/participants/{pid}/purchases/ORD1/completion", body, 409, "CompletionMismatch")
    other_platform = {"training_id": "T1", "certificate_id": "C1"}
    refused(
        cloud,
        "POST",
        f"/participants/{pid}/purchases/ORD1/completion",
        other_platform,
        404,
        "PurchaseNotFound",
        principal="platform:sekolahmu",
    )


def test_unknown_routes_participants_and_oversized_bodies(cloud):
    refused(cloud, "GET", "/nowhere", None, 404, "RouteNotFound")
    refused(cloud, "GET", "/participants/PNOPE", None, 404, "ParticipantNotFound")
    refused(cloud, "POST", "/participants", "x" * (config.MAX_REQUEST_BODY_BYTES + 1), 413, "PayloadTooLarge")
    refused(cloud, "POST", "/participants", "{not json", 422, "ValidationError")


def test_duplicated_platform_callbacks_are_refused_and_pay_nothing_twice(cloud):
    from support.lifecycle_steps import advance_days, paid_lines, payout_account, rate

    open_wave(cloud)
    pid = register(cloud)
    payout_account(cloud, pid, nik(1))
    buy(cloud, pid)
    refused(
        cloud,
        "POST",
        f"/participants/{pid}/purchases",
        purchase_body("ORD1", config.TRAINING_BALANCE_IDR),
        409,
        "DuplicatePurchase",
    )
    complete(cloud, pid)
    completion = {"training_id": "T1", "certificate_id": "CERT-ORD1"}
    refused(cloud, "POST", f"/participants/{pid}/purchases/ORD1/completion", completion, 409, "AlreadyCompleted")
    rate(cloud, pid)
    rating = {"instructor": 5, "facilities": 5, "programme": 5, "review": "sangat bermanfaat sekali"}
    cloud.wait_for_end(pid, GRANTED)
    refused(cloud, "POST", f"/participants/{pid}/purchases/ORD1/rating", rating, 409, "AlreadyRated")
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
