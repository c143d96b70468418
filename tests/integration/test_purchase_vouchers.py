"""A purchase needs the participant's consent: a voucher from the portal for that platform
and that training, used once, within its validity (issue 12, finding 10). Every refusal
changes nothing."""

from __future__ import annotations

from datetime import timedelta

from support.lifecycle_steps import (
    UNISSUED_VOUCHER,
    complete,
    open_wave,
    purchase_body,
    rate,
    refused,
    register,
    table_state,
    view,
    voucher,
)

from prakerja_flow import config


def path(pid: str) -> str:
    return f"/participants/{pid}/purchases"


def test_a_platform_that_knows_only_the_participant_id_buys_nothing(cloud):
    open_wave(cloud)
    pid = register(cloud)
    refused(
        cloud, "POST", path(pid), purchase_body("ORD1", 500_000, voucher_code=UNISSUED_VOUCHER), 404, "VoucherNotFound"
    )
    body = purchase_body("ORD1", 500_000)
    del body["voucher_code"]
    got = refused(cloud, "POST", path(pid), body, 422, "ValidationError")
    assert "voucher_code" in got["error"]["message"]
    assert view(cloud, pid)["balance_idr"] == config.TRAINING_BALANCE_IDR


def test_a_voucher_is_bound_to_its_participant_platform_and_training(cloud):
    open_wave(cloud)
    pid, other = register(cloud, 1), register(cloud, 2)
    for_other = voucher(cloud, other)
    refused(cloud, "POST", path(pid), purchase_body("ORD1", 500_000, voucher_code=for_other), 404, "VoucherNotFound")
    for_sekolahmu = voucher(cloud, pid, platform="sekolahmu")
    # Another platform's voucher is "not found" for this one: its existence is not this platform's to learn.
    refused(
        cloud, "POST", path(pid), purchase_body("ORD1", 500_000, voucher_code=for_sekolahmu), 404, "VoucherNotFound"
    )
    for_t2 = voucher(cloud, pid, training="T2")
    got = refused(
        cloud, "POST", path(pid), purchase_body("ORD1", 500_000, voucher_code=for_t2), 409, "VoucherTrainingMismatch"
    )
    assert "T2" in got["error"]["message"]
    status, bought = cloud.request(
        "POST", path(pid), purchase_body("ORD1", 500_000, training="T2", voucher_code=for_t2)
    )
    assert (status, bought["remaining_balance_idr"]) == (201, 500_000), bought


def test_a_voucher_expires_and_is_used_once(cloud):
    open_wave(cloud)
    pid = register(cloud)
    stale = voucher(cloud, pid)
    cloud.clock.advance(config.PURCHASE_VOUCHER_VALIDITY)
    refused(cloud, "POST", path(pid), purchase_body("ORD1", 400_000, voucher_code=stale), 409, "VoucherExpired")
    fresh = voucher(cloud, pid)
    assert cloud.request("POST", path(pid), purchase_body("ORD1", 400_000, voucher_code=fresh))[0] == 201
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.clock.advance(timedelta(hours=1))
    refused(cloud, "POST", path(pid), purchase_body("ORD2", 400_000, voucher_code=fresh), 409, "VoucherAlreadyUsed")
    second = voucher(cloud, pid, training="T2")
    assert (
        cloud.request("POST", path(pid), purchase_body("ORD2", 400_000, training="T2", voucher_code=second))[0] == 201
    )
    assert view(cloud, pid)["balance_idr"] == config.TRAINING_BALANCE_IDR - 800_000


def test_the_table_never_holds_a_voucher_code(cloud):
    open_wave(cloud)
    pid = register(cloud)
    codes = [voucher(cloud, pid, training=f"T{n}") for n in range(3)]
    dump = repr(table_state(cloud))
    assert not [code for code in codes if code in dump or code.replace("-", "") in dump]
    items = [i for i in table_state(cloud) if i.get("type") == "VOUCHER"]
    assert len(items) == 3 and {i["issued_by"] for i in items} == {"portal:web"}


def test_only_an_active_participant_gets_a_voucher(cloud):
    from prakerja_flow.services import operator

    open_wave(cloud)
    pid = register(cloud)
    operator.cancel_participation(pid, "ops", "false identity", cloud.clock())
    cloud.settle()
    refused(
        cloud,
        "POST",
        f"/participants/{pid}/vouchers",
        {"platform_id": "pijarmahir", "training_id": "T1"},
        409,
        "ParticipantNotActive",
    )
    refused(
        cloud,
        "POST",
        "/participants/PNOBODY/vouchers",
        {"platform_id": "pijarmahir", "training_id": "T1"},
        404,
        "ParticipantNotFound",
    )
