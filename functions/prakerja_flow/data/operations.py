"""Reads only operators need (`prakerja ops`): who waits where across the whole table,
and profiles in bulk. An operator tool may scan; the scheduled jobs never do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..domain.entities import Participant, TokenItem
from . import dynamo, keys, participants


def scan_tokens(page_size: int | None = None) -> Iterator[TokenItem]:
    """Every TOKEN item (one per waiting execution: pk, stage, at). One filtered,
    projected scan serves thousands of participants."""
    request: dict[str, Any] = {
        "TableName": dynamo.table(),
        "FilterExpression": "begins_with(sk, :token)",
        "ProjectionExpression": "pk, sk, stage, #at",
        "ExpressionAttributeNames": {"#at": "at"},
        "ExpressionAttributeValues": dynamo.values(token=keys.TOKEN),
    }
    if page_size:  # otherwise DynamoDB's own 1 MB pages
        request["PaginationConfig"] = {"PageSize": page_size}
    yield from dynamo.items("scan", **request)  # type: ignore[misc]


def get_profiles(participant_ids: list[str]) -> dict[str, Participant]:
    """participant id -> profile (wave, status, accepted_at, and what tells a SUCCEEDED
    execution's end state), 100 keys per BatchGetItem."""
    found: dict[str, Participant] = {}
    ids = list(dict.fromkeys(participant_ids))
    for start in range(0, len(ids), 100):
        request: dict[str, Any] | None = {
            dynamo.table(): {
                "Keys": [dynamo.key(keys.participant(pid), keys.PROFILE) for pid in ids[start : start + 100]],
                "ProjectionExpression": "participant_id, wave, #s, accepted_at, rating_window_closed_at, "
                "incentive_purchase_id",
                "ExpressionAttributeNames": {"#s": "status"},
            }
        }
        while request:
            out = dynamo.client().batch_get_item(RequestItems=request)
            for raw in out.get("Responses", {}).get(dynamo.table(), []):
                item: Participant = dynamo.from_ddb(raw)
                found[item["participant_id"]] = item
            request = out.get("UnprocessedKeys") or None
    return found


def wave_profiles(wave: int) -> dict[str, Participant]:
    """participant id -> profile for one wave, through GSI2."""
    found: dict[str, Participant] = {}
    start = None
    while True:
        page, start = participants.wave_page(wave, 1000, start)
        found.update((p["participant_id"], p) for p in page)
        if not start:
            return found
