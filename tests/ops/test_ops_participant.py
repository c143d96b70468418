"""`prakerja ops participant` and `ops history` on real lifecycles."""

from __future__ import annotations

from support.lifecycle_steps import GRANTED, advance_days, buy, complete, nik, open_wave, payout_account, rate, register

from prakerja_flow import config


def test_two_trainings_two_certificates_rated_both_not_paid_names_the_real_cause(cloud, ops, tmp_path):
    open_wave(cloud)
    pid = register(cloud, 7)
    payout_account(cloud, pid, nik(7), verified=False, number="081200000007")
    buy(cloud, pid, "ORD1", 400_000, "T1")
    complete(cloud, pid, "ORD1", "T1")
    rate(cloud, pid, "ORD1")
    cloud.wait_for_end(pid, GRANTED)
    buy(cloud, pid, "ORD2", 300_000, "T2")
    complete(cloud, pid, "ORD2", "T2")
    rate(cloud, pid, "ORD2")
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 2)

    code, _, _, report = ops("participant", pid, "--json")
    assert code == 1  # a FAILED entitlement is a problem
    assert [(p["training_id"], bool(p["certificate_id"]), p["rated"]) for p in report["purchases"]] == [
        ("T1", True, True),
        ("T2", True, True),
    ]
    # The lifecycle ended at the grant (ADR 0013): the payout run failed to pay from the entitlements.
    assert report["current_state"] == GRANTED and report["execution"]["status"] == "SUCCEEDED"
    assert report["nik_masked"] != nik(7) and nik(7) not in str(report)
    assert report["diagnosis"].startswith("payout 1 failed: OVO e-wallet ending 0007 is not KYC-verified")
    failed = [e for e in report["entitlements"] if e["status"] == "FAILED"]
    assert [(e["kind"], e["sequence"]) for e in failed] == [("POST_TRAINING", 1)]

    code, text, _, _ = ops("participant", nik(7))  # by NIK, as text
    assert code == 1 and "not KYC-verified" in text and GRANTED in text and nik(7) not in text

    code, _, _, hist = ops("history", pid, "--json", "--graph", str(tmp_path / "p.svg"))
    assert code == 0
    assert hist["path"][:3] == ["RegistrationAccepted", "AwaitTrainingPurchase", "VerifyPurchase"]
    assert (hist["execution_status"], hist["current_state"]) == ("SUCCEEDED", None)  # ended: nothing current
    assert hist["path"][-2:] == ["GrantIncentives", GRANTED]
    ledger = [line["type"] for line in hist["timeline"] if line["source"] == "ledger"]
    assert ledger.count("TRAINING_PURCHASE") == 2 and "BALANCE_GRANTED" in ledger
    svg = (tmp_path / "p.svg").read_text()
    assert svg.startswith("<svg") and f'class="state visited" data-state="{GRANTED}"' in svg and "current" not in svg
    assert 'class="edge taken" data-from="GrantIncentives" data-to="IncentivesGranted"' in svg
    assert 'class="edge taken" data-from="AwaitRating" data-to="CheckRating"' in svg

    # the operator fixes nothing yet but asks for a retry: the next run fails it again, with the same reason
    code, out, _, _ = ops("retry", pid, "POST_TRAINING", "1", "--actor", "ops1", "--reason", "ticket 42", "--yes")
    assert code == 0, out
    assert ops("participant", pid, "--json")[3]["entitlements"][0]["status"] == "DUE"
    advance_days(cloud, 1)
    assert ops("participant", pid, "--json")[3]["entitlements"][0]["status"] == "FAILED"
    # once the wallet is verified, the next run pays
    cloud.provider.open_account("OVO", "081200000007", nik(7), kyc_verified=True)
    advance_days(cloud, 1)
    code, _, _, report = ops("participant", pid, "--json")
    assert code == 0 and report["entitlements"][0]["status"] == "PAID"
    # One command from the participant to the execution that paid: the payout run's.
    (paid_by,) = report["paid_by"]
    assert paid_by["workflow"] == "payout-run" and ":execution:payout-run:" in paid_by["execution_arn"]
    assert paid_by["paid"] == ["POST_TRAINING 1"]


def test_unknown_participant_and_nik_are_one_line_errors(cloud, ops):
    code, out, err, _ = ops("participant", "P123")
    assert (code, out, err) == (1, "", "prakerja: participant P123 not found\n")
    code, _, err, _ = ops("history", nik(55))
    assert code == 1 and err.startswith("prakerja: no participant holds NIK") and nik(55) not in err


def test_waiting_for_rating_and_timeline(cloud, ops):
    open_wave(cloud)
    pid = register(cloud, 8)
    buy(cloud, pid)
    complete(cloud, pid)
    cloud.wait_for_token(pid, "RATING")
    advance_days(cloud, 3)
    code, text, _, _ = ops("participant", pid)
    assert code == 0
    assert "state AwaitRating for 3d" in text and "waiting for rating of training T1 since 3 days" in text
    code, text, _, _ = ops("history", pid)
    assert code == 0 and "entered  AwaitRating" in text and "ledger TRAINING_PURCHASE Rp-1,000,000" in text
