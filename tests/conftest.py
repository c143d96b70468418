"""Suite-wide ordering for the README command's two workers (pytest-xdist, --dist loadfile,
no reordering): the longest module first, so that it starts at once on one worker while the
other worker takes the rest; last, it would finish alone, long after everything else."""

from __future__ import annotations

LONGEST_FIRST = ("tests/integration/test_simulate_at_scale.py",)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its order


def pytest_terminal_summary(terminalreporter):
    # Said at the end of every run: the size the at-scale test ran at is never a silent choice.
    from support import scale

    ran = any(
        getattr(report, "nodeid", "").startswith(LONGEST_FIRST[0])
        for reports in terminalreporter.stats.values()
        for report in reports
    )
    if not ran:
        return
    size = scale.participants()
    full = scale.FULL_PARTICIPANTS
    note = "" if size >= full else f"; issue 4's full size: PRAKERJA_SCALE_PARTICIPANTS={full}"
    terminalreporter.write_line(f"at-scale simulation: {size:,} participants{note}")
