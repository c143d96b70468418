"""Every number the API takes is bounded, every free-text field follows a text rule
(handlers/text.py): refused in the one error shape, with nothing written, never a 500."""

from __future__ import annotations

import pytest
from support.lifecycle_steps import (
    advance_days,
    nik,
    open_wave,
    purchase_body,
    refused,
    register,
    table_state,
    trained_and_rated,
)

from prakerja import api_docs
from prakerja_flow import config
from prakerja_flow.data import participants as profiles
from prakerja_flow.handlers import api_models as m

# --- bounds ------------------------------------------------------------------------------


def _integer_schemas(node, where=""):
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _integer_schemas(value, f"{where}/{n}")


def test_every_integer_the_api_accepts_has_both_bounds():
    """Request bodies and path parameters (responses are ours, not input)."""
    spec = api_docs.openapi()
    inputs = {
        name: schema
        for name, schema in spec["components"]["schemas"].items()
        if isinstance(vars(m).get(name), type) and issubclass(vars(m)[name], m._Body)
    }
    params = [p for ops in spec["paths"].values() for op in ops.values() for p in op.get("parameters", [])]
    found = list(_integer_schemas(inputs)) + list(_integer_schemas(params))
    assert len(found) >= 8, found  # wave, price, three stars, survey answers, two path parameters
    for where, schema in found:
        assert ("minimum" in schema or "exclusiveMinimum" in schema) and "maximum" in schema, where


def test_survey_answers_beyond_their_bounds_are_refused_by_the_model():
    with pytest.raises(ValueError, match="less than or equal"):
        m.Survey.model_validate({"answers": {"q1": 10**40}})
    with pytest.raises(ValueError, match="greater than or equal"):
        m.Survey.model_validate({"answers": {"q1": config.SURVEY_ANSWER_INT_MIN - 1}})
    assert m.Survey.model_validate({"answers": {"q1": config.SURVEY_ANSWER_INT_MAX}}).answers == {
        "q1": config.SURVEY_ANSWER_INT_MAX
    }


def test_a_40_digit_survey_answer_is_422_not_500(cloud):
    """Finding 5: an open survey, an integer beyond DynamoDB's 38 digits: it was a 500."""
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[0].days)
    got = refused(cloud, "POST", f"/participants/{pid}/surveys/1", {"answers": {"q1": 10**39}}, 422, "ValidationError")
    assert f"more than {config.REQUEST_JSON_MAX_INTEGER_DIGITS} digits" in got["error"]["message"]
    got = refused(cloud, "POST", f"/participants/{pid}/surveys/1", {"answers": {"q1": 10**20}}, 422, "ValidationError")
    assert "answers.q1" in got["error"]["message"]
    assert cloud.request("POST", f"/participants/{pid}/surveys/1", {"answers": {"q1": 7, "q2": "ya"}})[0] == 201


@pytest.mark.parametrize(
    "path",
    ["/waves/0/open", f"/waves/{config.WAVE_MAX + 1}/open", "/waves/99999999999999999999999999999999999999999/open"],
)
def test_wave_numbers_outside_their_bounds_are_422(cloud, path):
    refused(cloud, "POST", path, {"actor": "ops", "reason": "try"}, 422, "ValidationError")


# --- text rules ------------------------------------------------------------------------------


HOSTILE_NAMES = {
    "nul": ("Siti\x00Aminah", "U+0000", "control"),
    "newline": ("Siti\nAminah", "U+000A", "control"),
    "ansi": ("\x1b[31mSiti", "U+001B", "control"),
    "rtl-override": ("Siti\u202eanimA", "U+202E", "format"),
    "zero-width-only": ("\u200b\u200b", "U+200B", "format"),
    "bom": ("\ufeffSiti", "U+FEFF", "format"),
    "line-separator": ("Siti\u2028Aminah", "U+2028", "separator"),
}


@pytest.fixture
def wave(cloud):
    open_wave(cloud)
    cloud.settle()


@pytest.mark.parametrize("case", HOSTILE_NAMES, ids=list(HOSTILE_NAMES))
def test_hostile_names_are_refused_saying_which_character_and_where(cloud, wave, case):
    """Finding 6: all of these got 201 and were stored as sent."""
    name, code_point, kind = HOSTILE_NAMES[case]
    got = refused(cloud, "POST", "/participants", {"nik": nik(1), "full_name": name, "wave": 1}, 422, "ValidationError")
    message = got["error"]["message"]
    position = next(n for n, ch in enumerate(name, 1) if f"U+{ord(ch):04X}" == code_point)
    assert (
        "full_name" in message and code_point in message and kind in message and f"character {position}" in message
    ), message


@pytest.mark.parametrize("name", ["", "   ", "\u3000\u2003"])
def test_names_empty_after_trimming_are_refused(cloud, wave, name):
    got = refused(cloud, "POST", "/participants", {"nik": nik(1), "full_name": name, "wave": 1}, 422, "ValidationError")
    assert "full_name" in got["error"]["message"]


def stored_profile(cloud, pid: str) -> dict:
    return next(item for item in table_state(cloud) if item["pk"] == f"P#{pid}" and item["sk"] == "PROFILE")


def test_names_are_stored_nfc_normalised_and_trimmed(cloud, wave):
    status, got = cloud.request(
        "POST", "/participants", {"nik": nik(1), "full_name": "  Rene\u0301 Sitompul ", "wave": 1}
    )
    assert status == 201, got
    stored = stored_profile(cloud, got["participant_id"])
    assert "full_name" not in stored and profiles.identifiers_of(stored)["full_name"] == "Ren\u00e9 Sitompul"


@pytest.mark.parametrize(
    ("field", "value"),
    [("actor", "ops\nforged audit line"), ("reason", "try\x1b[2J"), ("actor", "\u200b"), ("reason", "   ")],
)
def test_operator_actor_and_reason_follow_the_single_line_rule(cloud, field, value):
    body = {"actor": "ops", "reason": "open it", field: value}
    got = refused(cloud, "POST", "/waves/3/open", body, 422, "ValidationError")
    assert field in got["error"]["message"]


@pytest.fixture
def completed(cloud, wave):
    from support.lifecycle_steps import buy, complete

    pid = register(cloud)
    buy(cloud, pid)
    complete(cloud, pid)
    cloud.wait_for_token(pid, "RATING")
    return pid


def rating(review: str) -> dict:
    return {"instructor": 5, "facilities": 4, "programme": 5, "review": review}


@pytest.mark.parametrize(
    "review",
    ["Bagus.\x00\x00\x00\x00\x00\x00", "Materi jelas\u202e sekali", "          x", "\x1b[31mMateri jelas sekali"],
)
def test_reviews_refuse_control_and_format_characters_and_blank_padding(cloud, completed, review):
    got = refused(
        cloud, "POST", f"/participants/{completed}/purchases/ORD1/rating", rating(review), 422, "ValidationError"
    )
    assert "review" in got["error"]["message"]


def test_a_review_may_have_line_breaks_and_tabs(cloud, completed):
    review = "Materi jelas.\r\nInstruktur sabar.\n\tTerima kasih."
    status, got = cloud.request("POST", f"/participants/{completed}/purchases/ORD1/rating", rating(review))
    assert status == 200, got
    purchase = next(item for item in table_state(cloud) if item["sk"] == "PURCHASE#ORD1")
    assert purchase["rating"]["review"] == "Materi jelas.\nInstruktur sabar.\n\tTerima kasih."


def test_survey_answer_strings_follow_the_multi_line_rule():
    assert (
        m.Survey.model_validate({"answers": {"q1": "baris satu\nbaris dua", "q2": ""}}).answers["q1"]
        == "baris satu\nbaris dua"
    )
    for hostile in ("\x07", "\u202e", "\ud800"):
        with pytest.raises(ValueError, match="answers"):
            m.Survey.model_validate({"answers": {"q1": f"ya{hostile}"}})


def test_a_lone_surrogate_in_a_name_is_422_not_500(cloud, wave):
    # Valid JSON ("\\ud800" is an escape), but no UTF-8 can store it.
    body = f'{{"nik": "{nik(1)}", "full_name": "Siti\\ud800", "wave": 1}}'
    got = refused(cloud, "POST", "/participants", body, 422, "ValidationError")
    assert "U+D800" in got["error"]["message"]


def test_purchase_ids_stay_ascii_identifiers(cloud, wave):
    pid = register(cloud)
    refused(
        cloud, "POST", f"/participants/{pid}/purchases", purchase_body("ORD\u202e1", 400_000), 422, "ValidationError"
    )
