"""`prakerja simulate --seed S` twice gives the same world, participant ids included, so
that an operator's notes (and a bug report) about a seeded world stay true on a re-run."""

from __future__ import annotations

import re

from prakerja.simulate import simulate
from prakerja_flow import ids


def world(seed: int) -> list[tuple[str, str | None]]:
    seen: list = []
    simulate(5, seed, inspect=lambda cloud, personas: seen.extend((p.nik, p.participant_id) for p in personas))
    return seen


def test_the_same_seed_gives_the_same_participant_ids():
    first, again = world(3), world(3)
    assert first == again and all(pid for _, pid in first)


def test_outside_a_simulation_ids_are_random_in_the_same_form():
    made = {ids.new_participant_id() for _ in range(1000)}
    assert len(made) == 1000 and all(re.fullmatch(r"P[0-9A-F]{16}", pid) for pid in made)
    three, three_again, four = ids.seeded(3), ids.seeded(3), ids.seeded(4)
    drawn = [three() for _ in range(100)]
    assert drawn == [three_again() for _ in range(100)] and all(re.fullmatch(r"P[0-9A-F]{16}", pid) for pid in drawn)
    assert set(drawn).isdisjoint(four() for _ in range(100))
