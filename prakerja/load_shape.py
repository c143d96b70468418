"""When participants arrive: the waves a simulation opens, their days and their sizes.

`one_wave` is the simulator's classic run (one wave, open for a week). `programme_2020` is the
shape of the 2020 programme, scaled to a number of participants: what matters for the quotas
is not the year's total but how many arrive close together, because each holds an open
execution for weeks.

The 2020 figures, as reported (../shared/notes/scale-and-integrity.md; dates approximate):
5,509,055 participants in waves 1-11. Waves 1-3 opened in April, about 680,000 in all; wave
IV was held back for about three months while fixes were made; waves 4-10 then opened about a
week apart from early August, the 5.6 M quota full when wave 10's recipients were announced
(2 October 2020); wave 11 in November. The sizes of waves 4-11 are not in the notes: the
remaining 4,825,001 are split evenly. Days count from the simulation's start (1 July 2020,
after the bundle ban); only the spacing is the programme's."""

from __future__ import annotations

from dataclasses import dataclass

PARTICIPANTS_2020 = 5_509_055
FIRST_THREE_2020 = (168_111, 288_154, 227_789)  # waves 1-3: 684,054 ("about 680,000")
LATER_WAVES_2020 = 8  # waves 4-11
# Opening day of each wave, relative to wave 1's.
OPENING_DAYS_2020 = (0, 9, 15, 119, 126, 133, 140, 147, 154, 161, 210)
REGISTRATION_DAYS_2020 = 4  # a wave took registrations for about four days
ONE_WAVE_REGISTRATION_DAYS = 7


@dataclass(frozen=True)
class WavePlan:
    wave: int
    opens_day: int
    registration_days: int
    size: int

    @property
    def closes_day(self) -> int:
        return self.opens_day + self.registration_days


def one_wave(participants: int) -> list[WavePlan]:
    return [WavePlan(1, 0, ONE_WAVE_REGISTRATION_DAYS, participants)]


def sizes_2020() -> list[int]:
    rest = PARTICIPANTS_2020 - sum(FIRST_THREE_2020)
    later = [rest // LATER_WAVES_2020 + (1 if n < rest % LATER_WAVES_2020 else 0) for n in range(LATER_WAVES_2020)]
    return [*FIRST_THREE_2020, *later]


def programme_2020(participants: int) -> list[WavePlan]:
    """The 2020 waves with their sizes scaled to `participants` (largest remainder, so the
    sizes add up exactly); a wave scaled to nobody is still opened and closed."""
    sizes = scale_sizes(sizes_2020(), participants)
    return [
        WavePlan(n, day, REGISTRATION_DAYS_2020, size)
        for n, (day, size) in enumerate(zip(OPENING_DAYS_2020, sizes, strict=True), start=1)
    ]


def scale_sizes(sizes: list[int], total: int) -> list[int]:
    whole = sum(sizes)
    exact = [size * total / whole for size in sizes]
    scaled = [int(x) for x in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (scaled[i] - exact[i], i))
    for i in by_remainder[: total - sum(scaled)]:
        scaled[i] += 1
    return scaled


SHAPES = {"one-wave": one_wave, "2020": programme_2020}


def plan(shape: str, participants: int) -> list[WavePlan]:
    if shape not in SHAPES:
        raise ValueError(f"unknown load shape {shape!r}: one of {', '.join(SHAPES)}")
    return SHAPES[shape](participants)
