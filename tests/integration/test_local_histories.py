"""LocalCloud.histories() (the simulation's summary reads every history in-process) gives
the events GetExecutionHistory gives, for running and finished executions alike."""

from __future__ import annotations

from support.lifecycle_steps import advance_days, open_wave, register_started_at_registration, trained_and_rated

from prakerja_flow import config


def _comparable(events: list[dict]) -> list[tuple]:
    # The API's answer went through serialisation: compare what the summary reads.
    return [(e["id"], e["type"], (e.get("stateEnteredEventDetails") or {}).get("name")) for e in events]


def test_histories_in_process_are_the_apis_histories(cloud):
    open_wave(cloud)
    waiting = register_started_at_registration(cloud, sequence=1)
    paid = trained_and_rated(cloud, sequence=2)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
    cloud.settle()

    histories = cloud.histories()

    assert set(histories) == {waiting, paid}
    for pid in (waiting, paid):
        assert _comparable(histories[pid]) == _comparable(cloud.history(pid))
    assert len(histories[paid]) > len(histories[waiting]) > 0
