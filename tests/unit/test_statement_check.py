"""The independent statement check: each rule finds its defect, a clean statement none."""

from __future__ import annotations

import json

import pytest

from prakerja import statement_check as check
from prakerja_flow import config


def line(pid="P1", kind="POST_TRAINING", sequence=1, status="PAID", at="2020-08-01T00:00:00Z", n=1, amount=None):
    amount = (
        amount
        if amount is not None
        else (config.POST_TRAINING_PAYOUT_IDR if kind == "POST_TRAINING" else config.SURVEY_PAYMENT_IDR)
    )
    return {
        "transfer_id": f"T{n}",
        "idempotency_key": f"{pid}:{kind}:{sequence}",
        "participant_id": pid,
        "kind": kind,
        "sequence": sequence,
        "amount_idr": amount,
        "status": status,
        "at": at,
    }


CLEAN = [
    line(status="UNAVAILABLE", n=0),  # refused before accepting, then sent again: fine
    line(n=1),
    line(sequence=2, at="2020-08-31T00:00:00Z", n=2),
    line(kind="SURVEY", sequence=1, at="2020-09-05T00:00:00Z", n=3),
    line(kind="SURVEY", sequence=2, status="REJECTED", at="2020-10-05T00:00:00Z", n=4),
    line(kind="SURVEY", sequence=2, status="DUPLICATE", at="2020-10-06T00:00:00Z", n=4),  # after a rejection: fine
]


def test_a_clean_statement_has_no_problems():
    assert check.statement_problems(CLEAN) == []


@pytest.mark.parametrize(
    ("extra", "found"),
    [
        ([line(n=9)], "paid 2 times"),
        (
            [line(sequence=2, amount=650_000, n=9, at="2020-09-30T00:00:00Z")],
            "pays Rp650,000 for POST_TRAINING, not Rp600,000",
        ),
        ([line(sequence=5, n=9, at="2020-12-30T00:00:00Z")], "pays POST_TRAINING number 5; there are 4"),
        ([{**line(sequence=3, n=9), "idempotency_key": "P2:POST_TRAINING:3"}], "carries key P2:POST_TRAINING:3"),
        ([line(kind="BONUS", n=9)], "unknown kind 'BONUS'"),
        ([line(sequence=3, amount=0, n=9)], "non-integer or non-positive amount"),
        ([line(sequence=3, amount=600_000.0, n=9)], "non-integer or non-positive amount"),
        ([line(pid="P2", kind="SURVEY", sequence=1, n=9)], "without a first payout"),
        (
            [
                line(pid="P2", n=8, at="2020-08-10T00:00:00Z"),
                line(pid="P2", kind="SURVEY", sequence=1, n=9, at="2020-08-09T00:00:00Z"),
            ],
            "before the first payout (2020-08-10T00:00:00Z)",
        ),
        (
            [line(status="DUPLICATE", n=1, at="2020-08-02T00:00:00Z")],
            "sent again (DUPLICATE at 2020-08-02T00:00:00Z) after the provider had paid it",
        ),
    ],
)
def test_each_rule_finds_its_defect(extra, found):
    problems = check.statement_problems(CLEAN + extra)
    assert any(found in p for p in problems), problems


def test_more_payments_of_a_kind_than_exist_and_the_cap():
    lines = [line(sequence=s, n=s, at=f"2020-0{s}-01T00:00:00Z") for s in (1, 2, 3, 4)]
    lines += [{**line(sequence=4, n=5), "idempotency_key": "P1:POST_TRAINING:4b", "transfer_id": "T5"}]
    problems = check.statement_problems(lines)
    assert any("was paid 5 POST_TRAINING payments; at most 4 exist" in p for p in problems), problems
    assert any("above the Rp2,550,000 cap" in p for p in problems), problems


def summary(post=1_200_000, survey=50_000, paid=3):
    return {"paid_idr": {"POST_TRAINING": post, "SURVEY": survey, "total": post + survey}, "payouts_paid": paid}


def test_the_summary_must_equal_the_statement():
    assert check.summary_problems(CLEAN, summary()) == []
    problems = check.summary_problems(CLEAN, summary(post=1_800_000, paid=4))
    assert "the summary says paid_idr.POST_TRAINING = 1800000, the statement says 1200000" in problems
    assert "the summary says payouts_paid = 4, the statement says 3" in problems


def test_the_command_reads_both_files_and_says_what_it_found(tmp_path, capsys):
    statement, good, bad = tmp_path / "s.jsonl", tmp_path / "good.json", tmp_path / "bad.json"
    statement.write_text("".join(json.dumps(x) + "\n" for x in CLEAN))
    good.write_text(json.dumps(summary()))
    bad.write_text(json.dumps(summary(survey=0)))
    assert check.main([str(statement), "--summary", str(good)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert check.main([str(statement), "--summary", str(bad)]) == 1
    assert "paid_idr.SURVEY = 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["a", "b"],
        ["s.jsonl", "--nope"],
        ["missing.jsonl"],
        ["s.jsonl", "--summary", "missing.json"],
        ["broken.jsonl"],
    ],
)
def test_bad_usage_or_unreadable_input_exits_2_with_one_line(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.jsonl").write_text(json.dumps(CLEAN[1]) + "\n")
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(check.main(args))
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("statement_check: ")


def test_the_first_payout_is_whichever_number_was_paid_first():
    # Payout 1 in flight, payout 2 paid: the survey windows opened with payout 2 (ADR 0016).
    surveyed = [
        line(pid="P2", sequence=2, n=8, at="2020-09-10T00:00:00Z"),
        line(pid="P2", kind="SURVEY", sequence=1, n=9, at="2020-10-11T00:00:00Z"),
        line(pid="P2", sequence=1, n=10, at="2020-10-12T00:00:00Z"),
    ]
    assert check.statement_problems(CLEAN + surveyed) == []
    early = [{**surveyed[1], "at": "2020-09-09T00:00:00Z"}, surveyed[0], surveyed[2]]
    problems = check.statement_problems(CLEAN + early)
    assert any("before the first payout (2020-09-10T00:00:00Z)" in p for p in problems), problems
