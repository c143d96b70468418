"""What participants, platforms and the cloud do, as small steps the tests compose."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from prakerja.local.cloud import LocalCloud
from prakerja_flow import config
from prakerja_flow.domain.nik import build_nik
from prakerja_flow.domain.vocabulary import LifecycleState

GRANTED = LifecycleState.INCENTIVES_GRANTED  # where a lifecycle ends once its incentives are granted (ADR 0013)
# The lifecycle definition before ADR 0013 (waits for every payment), as it was deployed.
BEFORE_0013 = Path(__file__).parent / "definitions" / "participant_lifecycle_before_0013.asl.json"

PLATFORM = "pijarmahir"  # the local platform client LocalCloud.request signs as by default
REVIEW = "Instruktur menjelaskan dengan jelas."
# The `prakerja` command as a subprocess of this interpreter (its venv, no PATH needed).
CLI = [sys.executable, "-c", "from prakerja.cli import main; main()"]


def nik(sequence: int = 1, gender: str = "F", born: date = date(1990, 5, 17)) -> str:
    return build_nik(31, 71, 1, born, gender, sequence)


def open_wave(cloud: LocalCloud, wave: int = 1) -> None:
    status, body = cloud.request("POST", f"/waves/{wave}/open", {"actor": "test", "reason": "test wave"})
    assert status == 200, body


def register(cloud: LocalCloud, sequence: int = 1, wave: int = 1) -> str:
    status, body = cloud.request("POST", "/participants", {"nik": nik(sequence), "full_name": "Siti", "wave": wave})
    assert status == 201, body
    return body["participant_id"]


# Well-formed, never issued: for purchases refused by a rule checked before the voucher.
UNISSUED_VOUCHER = "PKV-AAAA-AAAA-AAAA"


def voucher(cloud: LocalCloud, pid: str, training: str = "T1", platform: str = PLATFORM) -> str:
    """The participant takes a voucher for this training on this platform from the portal."""
    status, body = cloud.request(
        "POST", f"/participants/{pid}/vouchers", {"platform_id": platform, "training_id": training}
    )
    assert status == 201, body
    return body["voucher_code"]


def purchase_body(
    purchase_id: str, price: int, training: str = "T1", extra_lines: int = 0, voucher_code: str = UNISSUED_VOUCHER
) -> dict:
    lines = [{"training_id": training, "institution_id": "LPK1", "price_idr": price}]
    lines += [
        {"training_id": f"{training}-{n}", "institution_id": f"LPK{n + 2}", "price_idr": 100_000}
        for n in range(extra_lines)
    ]
    return {"purchase_id": purchase_id, "trainings": lines, "voucher_code": voucher_code}


def consented_purchase(
    cloud: LocalCloud,
    pid: str,
    purchase_id: str = "ORD1",
    price: int = config.TRAINING_BALANCE_IDR,
    training: str = "T1",
    platform: str = PLATFORM,
) -> dict:
    """A purchase body with a fresh voucher of the participant's for it."""
    return purchase_body(purchase_id, price, training, voucher_code=voucher(cloud, pid, training, platform))


def buy(
    cloud: LocalCloud,
    pid: str,
    purchase_id: str = "ORD1",
    price: int = config.TRAINING_BALANCE_IDR,
    training: str = "T1",
) -> dict:
    status, body = cloud.request(
        "POST", f"/participants/{pid}/purchases", consented_purchase(cloud, pid, purchase_id, price, training)
    )
    assert status == 201, body
    return body


def complete(cloud: LocalCloud, pid: str, purchase_id: str = "ORD1", training: str = "T1") -> None:
    status, body = cloud.request(
        "POST",
        f"/participants/{pid}/purchases/{purchase_id}/completion",
        {"training_id": training, "certificate_id": f"CERT-{purchase_id}"},
    )
    assert status == 200, body


def rate(cloud: LocalCloud, pid: str, purchase_id: str = "ORD1") -> None:
    status, body = cloud.request(
        "POST",
        f"/participants/{pid}/purchases/{purchase_id}/rating",
        {"instructor": 5, "facilities": 4, "programme": 5, "review": REVIEW},
    )
    assert status == 200, body


def payout_account(
    cloud: LocalCloud,
    pid: str,
    owner_nik: str,
    verified: bool = True,
    number: str = "081234567890",
    channel: str = "OVO",
) -> None:
    cloud.provider.open_account(channel, number, owner_nik, kyc_verified=verified)
    status, body = cloud.request(
        "PUT", f"/participants/{pid}/payout-account", {"channel": channel, "account_number": number}
    )
    assert status == 200, body


def trained_and_rated(cloud: LocalCloud, sequence: int = 1, wave: int = 1) -> str:
    """A participant with a verified account who bought, finished and rated one training."""
    pid = register(cloud, sequence, wave=wave)
    payout_account(cloud, pid, nik(sequence), number=f"0812{sequence:08d}")
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    return pid


def advance_days(cloud: LocalCloud, days: int) -> None:
    """Let programme days pass with the daily scheduled jobs, as EventBridge Scheduler would."""
    for _ in range(days):
        cloud.clock.advance(timedelta(days=1))
        cloud.run_scheduled()
        cloud.settle()


def paid_lines(cloud: LocalCloud) -> list[dict]:
    return [line for line in cloud.provider.statement_lines() if line["status"] == "PAID"]


def queued(pid: str, sequence: int = 1) -> bool:
    """Whether monthly payout `sequence` is still in the payout queue (the index the payout
    runs read): a paid one leaves it, and since ADR 0013 that is all that follows a payment."""
    from prakerja_flow.data import entitlements, schema
    from prakerja_flow.domain import incentives as inc

    return schema.GSI1_PK in entitlements.get(pid, inc.POST_TRAINING, sequence)


def survey(cloud: LocalCloud, pid: str, sequence: int) -> tuple[int, dict]:
    return cloud.request("POST", f"/participants/{pid}/surveys/{sequence}", {"answers": {"q1": "ya"}})


def view(cloud: LocalCloud, pid: str) -> dict:
    status, body = cloud.request("GET", f"/participants/{pid}")
    assert status == 200, body
    return body


def table_state(cloud: LocalCloud) -> list[dict]:
    return sorted(cloud.scan(), key=lambda item: (item["pk"], item["sk"]))


def refused(cloud: LocalCloud, method, path, body, status, code, **request) -> dict:
    """A request refused with this status and error code that wrote nothing."""
    # Executions still consuming the previous accepted event would change the table on
    # their own; only the refused request's effect is under test.
    cloud.settle(quiet=0.2)
    before = table_state(cloud)
    got_status, got = cloud.request(method, path, body, **request)
    assert (got_status, got["error"]["code"]) == (status, code), got
    assert got["error"]["message"] and got["error"]["request_id"]
    assert table_state(cloud) == before, "a refused request changed the table"
    return got


def register_started_at_registration(cloud: LocalCloud, sequence: int = 1, wave: int = 1) -> str:
    """A participant registered before ADR 0015, whose lifecycle execution started at
    registration and still runs on that path after the migration (it waits in
    AwaitTrainingPurchase). Registration starts no execution today: the first certificate does."""
    from prakerja_flow.data import participants as profiles
    from prakerja_flow.services import lifecycle_start

    pid = register(cloud, sequence, wave=wave)
    lifecycle_start.start(profiles.require(pid))
    cloud.wait_for_token(pid, "PURCHASE")
    return pid
