"""What ADR 0018's encryption costs per lifecycle: measured on a simulation (the real
handlers, moto's KMS), then priced for AWS.

Counted in moto's KMS request handlers, so every request is seen whichever client made it: the
Encryption SDK's GenerateDataKey/Decrypt and the NIK guard's GenerateMac. Timed around
data/identifiers.seal and open_sealed and data/nik_lookup.mac (the local cost; moto answers
in microseconds where KMS takes a few milliseconds, so AWS latency is estimated separately).

On AWS each function instance has its own data-key cache, so the local count (one process,
one cache) is the best case; the worst case is no cache hit at all: one GenerateDataKey per
registration and one Decrypt per payout inquiry. Both are priced.

Usage:  .venv/bin/python bench/identifiers_cost.py [--participants 50] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moto.kms.responses import KmsResponse  # noqa: E402

from bench import prices  # noqa: E402
from prakerja.simulate import simulate  # noqa: E402
from prakerja_flow.data import identifiers, nik_lookup  # noqa: E402

KMS_OPERATIONS = ("generate_data_key", "decrypt", "encrypt", "generate_mac")
TIMED = ((identifiers, "seal"), (identifiers, "open_sealed"), (nik_lookup, "mac"))
# Paid payouts a completing participant's lifecycle opens the NIK for (one inquiry each).
INQUIRIES_PER_COMPLETED_LIFECYCLE = 7


def measure(participants: int, seed: int, inspect=None) -> dict:
    """`inspect(cloud, personas)`: as simulate's (tests read the world through it)."""
    requests: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    saved = []
    for name in KMS_OPERATIONS:
        original = getattr(KmsResponse, name)
        saved.append((KmsResponse, name, original))

        def counted(self, *args, _name=name, _original=original, **kwargs):  # one call per KMS request
            requests[_name] += 1
            return _original(self, *args, **kwargs)

        setattr(KmsResponse, name, counted)
    for module, name in TIMED:
        original = getattr(module, name)
        saved.append((module, name, original))

        def timed(*args, _name=name, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                seconds[_name] += time.perf_counter() - started
                calls[_name] += 1

        setattr(module, name, timed)
    try:
        report = simulate(participants, seed, inspect=inspect).as_dict()
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    return _priced(participants, report, requests, seconds, calls)


def _priced(participants: int, report: dict, requests: Counter, seconds: Counter, calls: Counter) -> dict:
    kms_price = prices.price("kms_request")
    measured = sum(requests.values())
    # No cache hit anywhere: a data key per seal, a KMS Decrypt per open, a MAC per lookup.
    worst = calls["seal"] + calls["open_sealed"] + calls["mac"]
    return {
        "participants": participants,
        "paid_idr": sum(report["paid_idr"].values()),
        "ok": report["ok"],
        "kms_requests": dict(requests),
        "kms_requests_per_1000_participants": round(measured * 1000 / participants),
        "kms_requests_per_1000_without_cache_hits": round(worst * 1000 / participants),
        "usd_per_1000_participants": round(measured * 1000 / participants * kms_price, 5),
        "usd_per_1000_without_cache_hits": round(worst * 1000 / participants * kms_price, 5),
        "usd_keys_per_month": 2 * prices.price("kms_key_month"),
        "calls": dict(calls),
        "local_ms_per_lifecycle": {k: round(v * 1000 / participants, 3) for k, v in seconds.items()},
        "local_ms_per_call": {k: round(seconds[k] * 1000 / calls[k], 3) for k in calls},
        "simulate_wall_seconds": report["wall_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.participants, args.seed)
    print(json.dumps(result, indent=None if args.json else 2, sort_keys=True))


if __name__ == "__main__":
    main()
