"""`prakerja simulate`: a wave of synthetic participants through the real HTTP handler
and the real state machine on the local cloud, day by day, with the scheduled jobs
running every simulated day. Ends with the money invariants checked against the
payment provider's own statement."""

from __future__ import annotations

import gc
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from prakerja_flow import catalogue, clock, config, ids
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain import participation
from prakerja_flow.domain.nik import build_nik
from prakerja_flow.domain.vocabulary import LegacyLifecycleState, LifecycleState
from prakerja_flow.payments.fake import FakeProvider

from . import load_shape, payout_lateness, simulate_time
from . import persona_timing as timing
from .invariants import check_invariants
from .local import invoker
from .local.cloud import DEFAULT_START, LocalCloud

PLATFORMS = ("pijarmahir", "sekolahmu", "skillacademy", "tokopedia", "bukalapak", "pintaria", "maubelajarapa")
ACCOUNT_OK, ACCOUNT_UNVERIFIED_THEN_FIXED, ACCOUNT_OTHER_NAME = "ok", "unverified_then_fixed", "other_name"
NEVER = datetime.max.replace(tzinfo=UTC)
# Where a lifecycle that was granted its incentives ends (the second: before ADR 0013).
GRANTED_END_STATES = (LifecycleState.INCENTIVES_GRANTED, LegacyLifecycleState.LIFECYCLE_COMPLETE)
REGISTRATION_DAYS = load_shape.ONE_WAVE_REGISTRATION_DAYS
UNISSUED_VOUCHER = "PKV-AAAA-AAAA-AAAA"  # well-formed, never issued


def horizon_days(waves: list[load_shape.WavePlan]) -> int:
    """Long enough for the last survey window of the last registrant to close."""
    return (
        max(w.closes_day for w in waves)
        + 20
        + 17
        + config.FIRST_PAYOUT_DELAY.days
        + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[-1].days
        + config.SURVEY_WINDOW.days
        + 10
    )


HORIZON_DAYS = horizon_days(load_shape.one_wave(1))


@dataclass
class Persona:
    index: int
    nik: str
    platform: str
    register_day: int
    wave: int = 1
    never_buys: bool = False
    tries_bundle: bool = False
    buys_without_voucher: bool = False  # its platform first tries to buy without the participant's voucher
    two_trainings: bool = False
    over_balance: bool = False
    never_rates: bool = False
    account: str = ACCOUNT_OK
    surveys: tuple[int, ...] = (1, 2, 3)
    participant_id: str | None = None
    rated_day: int | None = None
    account_ref: tuple[str, str] | None = None  # (channel, number) at the provider
    # Until when the participant's own cause (an account not verified yet, or in someone
    # else's name) held their payouts: the split of payout_lateness. None: no such cause.
    own_cause_until: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"Peserta {self.index}"

    @property
    def kind(self) -> str:
        if self.never_buys:
            return "never_buys"
        if self.never_rates:
            return "never_rates"
        if self.account == ACCOUNT_OTHER_NAME:
            return "account_in_other_name"
        return "completes"


@dataclass
class Report:
    participants: int
    seed: int
    faults: float
    load_shape: str = "one-wave"
    # Quotas divided by this (simulate(scale=)): 1 is AWS's own.
    scale: int = 1
    wall_seconds: float = 0.0
    requests: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    final_states: Counter = field(default_factory=Counter)
    executions: Counter = field(default_factory=Counter)
    paid_idr: dict[str, int] = field(default_factory=dict)
    transitions: dict[str, float] = field(default_factory=dict)
    lambda_invocations: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    payouts_paid: int = 0
    lateness: dict = field(default_factory=dict)
    # Set when the run lowered Step Functions' open-executions quota (simulate(open_executions_quota=)).
    open_executions_quota: int | None = None
    completions_deferred: int = 0  # first certificates answered 503 LifecycleNotStarted, retried later
    # Scheduled state machines Step Functions would not start (the payout run counts against
    # the same quota as the lifecycles), by job.
    runs_not_started: Counter = field(default_factory=Counter)
    # The most lifecycle executions RUNNING at once (counted after each day's requests), and
    # the day: what the open-executions quota is measured against.
    open_executions_peak: int = 0
    open_executions_peak_day: int = 0
    # In virtual time (simulate --scale): what the rate quotas, timeouts and provider did.
    virtual_time: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        lifecycles = sum(self.executions.values())
        quota = (
            {
                "open_executions_quota": self.open_executions_quota,
                "completions_deferred": self.completions_deferred,
                "scheduled_runs_not_started": dict(sorted(self.runs_not_started.items())),
            }
            if self.open_executions_quota is not None
            else {}
        )
        return {
            **quota,
            "participants": self.participants,
            "load_shape": self.load_shape,
            "scale": self.scale,
            "open_executions_peak": self.open_executions_peak,
            "open_executions_peak_day": self.open_executions_peak_day,
            "seed": self.seed,
            "faults": self.faults,
            "final_states": dict(sorted(self.final_states.items())),
            "executions_by_status": dict(sorted(self.executions.items())),
            "paid_idr": self.paid_idr,
            "payouts_paid": self.payouts_paid,
            "requests_by_status": {str(k): v for k, v in sorted(self.requests.items())},
            "unexpected_responses": self.unexpected[:20],
            "wall_seconds": round(self.wall_seconds, 2),
            "lifecycles_per_second": round(lifecycles / self.wall_seconds, 2) if self.wall_seconds else 0.0,
            "state_transitions_per_lifecycle": self.transitions,
            "lambda_invocations_per_lifecycle": self.lambda_invocations,
            "invariant_violations": self.violations,
            "payout_lateness": self.lateness,
            **({"virtual_time": self.virtual_time} if self.virtual_time else {}),
            "ok": not self.violations
            and not self.unexpected
            and not self.lateness.get("never_attempted")
            and not self.runs_not_started,
        }


def make_personas(count: int, rng: random.Random, waves: list[load_shape.WavePlan] | None = None) -> list[Persona]:
    waves = waves or load_shape.one_wave(count)
    wave_of = [w for w in waves for _ in range(w.size)]
    if len(wave_of) != count:
        raise ValueError(f"the waves hold {len(wave_of)} participants, not {count}")
    personas = []
    used: set[str] = set()
    for index in range(count):
        while True:
            birth = date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
            nik = build_nik(
                rng.choice(sorted(config.PROVINCE_CODES)),
                rng.randint(1, 79),
                rng.randint(1, 40),
                birth,
                rng.choice("MF"),
                rng.randint(1, 9999),
            )
            if nik not in used:
                used.add(nik)
                break
        roll = rng.random()
        wave = wave_of[index]
        persona = Persona(
            index, nik, rng.choice(PLATFORMS), wave.opens_day + rng.randrange(wave.registration_days), wave.wave
        )
        persona.never_buys = roll < 0.06
        persona.never_rates = 0.06 <= roll < 0.12
        persona.tries_bundle = rng.random() < 0.12
        persona.buys_without_voucher = rng.random() < 0.05
        persona.two_trainings = rng.random() < 0.15
        persona.over_balance = persona.two_trainings and rng.random() < 0.4
        account_roll = rng.random()
        persona.account = (
            ACCOUNT_OTHER_NAME
            if account_roll < 0.03
            else ACCOUNT_UNVERIFIED_THEN_FIXED
            if account_roll < 0.13
            else ACCOUNT_OK
        )
        persona.surveys = tuple(n for n in range(1, config.SURVEY_COUNT + 1) if rng.random() < 0.9)
        if persona.account != ACCOUNT_OK:
            persona.own_cause_until = NEVER  # until verify_account, for the one that is fixed
        personas.append(persona)
    return personas


class Simulation:
    def __init__(
        self,
        cloud: LocalCloud,
        personas: list[Persona],
        rng: random.Random,
        report: Report,
        duplicate_deliveries: bool,
        waves: list[load_shape.WavePlan] | None = None,
    ):
        self.waves = waves or load_shape.one_wave(len(personas))
        self.cloud = cloud
        self.personas = personas
        self.rng = rng
        self.report = report
        self.duplicates = duplicate_deliveries
        self.agenda: dict[int, list[Callable[[int], None]]] = defaultdict(list)
        self.quota_log = simulate_time.QuotaLog()

    # --- HTTP, as a partner platform or the participant portal would call it ----------------

    def call(
        self,
        method: str,
        path: str,
        body: dict | None,
        expect: tuple[int, ...],
        label: str,
        principal: str | None = None,
    ) -> tuple[int, dict]:
        # Signed as the route family's local client, or as `principal` (a persona's platform).
        status, payload = self.cloud.request(method, path, body, **({"principal": principal} if principal else {}))
        self.report.requests[status] += 1
        if status not in expect:
            self.report.unexpected.append(f"{label}: {method} {path} -> {status} {payload}")
        return status, payload or {}

    def platform_post(self, path: str, body: dict, label: str, repeat_codes: tuple[int, ...], principal: str) -> int:
        status, _ = self.call("POST", path, body, (200, 201), label, principal)
        if self.duplicates and status in (200, 201) and self.rng.random() < 0.2:
            # The platform's retry of a request that had succeeded: refused, nothing written twice.
            self.call("POST", path, body, repeat_codes, label + " (duplicate delivery)", principal)
        return status

    def at(self, day: int, action: Callable[[int], None]) -> None:
        self.agenda[day].append(action)

    # --- the script of one participant ------------------------------------------------------------

    def schedule(self) -> None:
        for invalid in range(max(1, len(self.personas) // 50)):
            self.at(
                0,
                lambda d, n=invalid: self.call(
                    "POST",
                    "/participants",
                    {"nik": f"99{n:014d}", "full_name": "Invalid", "wave": 1},
                    (422,),
                    "invalid NIK",
                ),
            )
        for p in self.personas:
            self.at(p.register_day, lambda d, p=p: self.register(p, d))
        # One person, one card: the same NIKs again on the first wave's last day, or in the
        # next wave when there is one (dedupe across waves).
        again = self.waves[1] if len(self.waves) > 1 else self.waves[0]
        again_day = again.opens_day if len(self.waves) > 1 else again.closes_day
        for p in self.personas[: max(1, len(self.personas) // 50)]:
            self.at(
                again_day,
                lambda d, p=p: self.call(
                    "POST",
                    "/participants",
                    {"nik": p.nik, "full_name": "Again", "wave": again.wave},
                    (409,),
                    "duplicate NIK",
                ),
            )

    def register(self, p: Persona, day: int) -> None:
        status, body = self.cloud.request(
            "POST",
            "/participants",
            {"nik": p.nik, "full_name": p.full_name, "wave": p.wave},
            idempotency_key=f"register-{p.index}",
        )
        self.report.requests[status] += 1
        if status != 201:
            self.report.unexpected.append(f"register: POST /participants -> {status} {body}")
            return
        p.participant_id = body["participant_id"]
        self.set_account(p)
        if not p.never_buys:
            self.at(day + self.rng.randint(*timing.BUYS_AFTER_REGISTERING), lambda d, p=p: self.buy_first(p, d))

    def set_account(self, p: Persona) -> None:
        number = f"08{p.index:010d}"
        channel = self.rng.choice(config.PAYOUT_CHANNELS)
        holder = p.nik if p.account != ACCOUNT_OTHER_NAME else "3171010101900001"
        self.cloud.provider.open_account(
            channel, number, holder, kyc_verified=p.account != ACCOUNT_UNVERIFIED_THEN_FIXED
        )
        p.account_ref = (channel, number)
        self.call(
            "PUT",
            f"/participants/{p.participant_id}/payout-account",
            {"channel": channel, "account_number": number},
            (200,),
            "payout account",
        )

    def voucher(self, p: Persona, training_id: str) -> str:
        """The participant picks a training on their platform: the portal's voucher for it."""
        status, body = self.call(
            "POST",
            f"/participants/{p.participant_id}/vouchers",
            {"platform_id": p.platform, "training_id": training_id},
            (201,),
            "voucher",
        )
        return body.get("voucher_code", UNISSUED_VOUCHER) if status == 201 else UNISSUED_VOUCHER

    def purchase_body(
        self, p: Persona, purchase_id: str, price: int, bundle: bool = False, voucher: str | None = None
    ) -> dict:
        training_id = f"TR-{purchase_id}"
        lines = [{"training_id": training_id, "institution_id": f"LPK-{p.platform}", "price_idr": price}]
        if bundle:
            lines.append({"training_id": f"TR-{purchase_id}-B", "institution_id": "LPK-other", "price_idr": 100_000})
        return {"purchase_id": purchase_id, "trainings": lines, "voucher_code": voucher or self.voucher(p, training_id)}

    def buy_first(self, p: Persona, day: int) -> None:
        path = f"/participants/{p.participant_id}/purchases"
        if p.tries_bundle:
            self.call(
                "POST",
                path,
                self.purchase_body(p, f"{p.index}-BUNDLE", 300_000, bundle=True),
                (422,),
                "bundle",
                f"platform:{p.platform}",
            )
        price = (
            self.rng.choice((300_000, 450_000, 600_000, 750_000))
            if p.two_trainings
            else self.rng.choice((500_000, 1_000_000))
        )
        purchase_id = f"{p.index}-A"
        if p.buys_without_voucher:
            # The platform knows the participant id but has no voucher of theirs: it buys nothing.
            self.call(
                "POST",
                path,
                self.purchase_body(p, purchase_id, price, voucher=UNISSUED_VOUCHER),
                (404,),
                "no voucher",
                f"platform:{p.platform}",
            )
        if self.platform_post(
            path, self.purchase_body(p, purchase_id, price), "purchase", (409,), f"platform:{p.platform}"
        ) in (200, 201):
            self.at(day + self.rng.randint(*timing.TRAINS_FOR), lambda d: self.complete(p, purchase_id, d, first=True))

    def complete(self, p: Persona, purchase_id: str, day: int, first: bool) -> None:
        body = {"training_id": f"TR-{purchase_id}", "certificate_id": f"CERT-{purchase_id}"}
        path = f"/participants/{p.participant_id}/purchases/{purchase_id}/completion"
        if first:
            self.first_certificate(p, path, body, day)
        else:
            self.platform_post(path, body, "completion", (409,), f"platform:{p.platform}")
        if first and p.two_trainings:
            self.at(day + 1, lambda d: self.buy_second(p, d))
        if not p.never_rates:
            self.at(day + self.rng.randint(*timing.RATES_AFTER_COMPLETING), lambda d: self.rate(p, purchase_id, d))

    def first_certificate(self, p: Persona, path: str, body: dict, day: int, retry: bool = False) -> None:
        """The first certificate starts the lifecycle (ADR 0015). When Step Functions will not
        start it now (the open-executions quota, throttling) the completion is recorded and
        answered 503; the platform sends it again the next day with the same Idempotency-Key,
        and 409 AlreadyCompleted then says the deadline sweep started it meanwhile."""
        status, answer = self.cloud.request(
            "POST", path, body, idempotency_key=f"completion-{p.index}", principal=f"platform:{p.platform}"
        )
        self.report.requests[status] += 1
        if status == 503 and answer["error"]["code"] == "LifecycleNotStarted":
            self.report.completions_deferred += 1
            self.at(day + 1, lambda d: self.first_certificate(p, path, body, d, retry=True))
        elif status not in ((200, 409) if retry else (200,)):
            self.report.unexpected.append(f"completion: POST {path} -> {status} {answer}")
        elif status == 200 and not retry and self.duplicates and self.rng.random() < 0.2:
            # The platform's retry of a request that had succeeded, without its key: refused.
            self.call("POST", path, body, (409,), "completion (duplicate delivery)", f"platform:{p.platform}")

    def buy_second(self, p: Persona, day: int) -> None:
        path = f"/participants/{p.participant_id}/purchases"
        status, body = self.call("GET", f"/participants/{p.participant_id}", None, (200,), "status")
        remaining = body.get("balance_idr", 0)
        if p.over_balance:
            self.call(
                "POST",
                path,
                self.purchase_body(p, f"{p.index}-X", remaining + 100_000),
                (409,),
                "over balance",
                f"platform:{p.platform}",
            )
        if remaining <= 0:
            return
        purchase_id = f"{p.index}-B"
        if self.platform_post(
            path, self.purchase_body(p, purchase_id, remaining), "second purchase", (409,), f"platform:{p.platform}"
        ) in (200, 201):
            self.at(
                day + self.rng.randint(*timing.SECOND_TRAINING_TAKES),
                lambda d: self.complete(p, purchase_id, d, first=False),
            )

    def rate(self, p: Persona, purchase_id: str, day: int) -> None:
        body = {
            "instructor": self.rng.randint(1, 5),
            "facilities": self.rng.randint(1, 5),
            "programme": self.rng.randint(1, 5),
            "review": "Materi jelas dan instruktur membantu.",
        }
        self.platform_post(
            f"/participants/{p.participant_id}/purchases/{purchase_id}/rating",
            body,
            "rating",
            (409,),
            f"platform:{p.platform}",
        )
        if p.rated_day is None:
            p.rated_day = day
            first_due = day + config.FIRST_PAYOUT_DELAY.days
            if p.account == ACCOUNT_UNVERIFIED_THEN_FIXED:
                self.at(first_due + self.rng.randint(3, 12), lambda d: self.verify_account(p))
            for n in p.surveys:
                opens = first_due + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[n - 1].days
                self.at(
                    opens + self.rng.randint(1, 10),
                    lambda d, n=n, opens=opens: self.survey(p, n, d, opens + config.SURVEY_WINDOW.days),
                )

    def verify_account(self, p: Persona) -> None:
        channel, number = p.account_ref
        self.cloud.provider.open_account(channel, number, p.nik, kyc_verified=True)
        p.own_cause_until = clock.now()  # in virtual time, the moment of the day it was fixed

    def survey(self, p: Persona, n: int, day: int, closes: int) -> None:
        status, body = self.call(
            "POST",
            f"/participants/{p.participant_id}/surveys/{n}",
            {"answers": {"q1": "ya", "q2": self.rng.randint(1, 5)}},
            (201, 409, 404),
            f"survey {n}",
        )
        code = (body.get("error") or {}).get("code")
        if status != 201 and code in ("SurveyNotOpen", "SurveyNotFound") and day + 1 < closes:
            self.at(day + 1, lambda d: self.survey(p, n, d, closes))

    # --- the clock -----------------------------------------------------------------------------

    def wave_action(self, wave: int, action: str) -> None:
        reason = "simulation" if action == "open" else "wave full"
        self.call("POST", f"/waves/{wave}/{action}", {"actor": "simulator", "reason": reason}, (200,), f"{action} wave")

    def count_open_executions(self, day: int) -> None:
        running = len(self.cloud.executions("RUNNING"))
        if running > self.report.open_executions_peak:
            self.report.open_executions_peak, self.report.open_executions_peak_day = running, day

    def work_through(self, day: int) -> None:
        """The day's agenda; in virtual time each action at its moment of the day."""
        vt = self.cloud.virtual
        moment = 0.0
        while self.agenda.get(day):  # an action may add another for the same day
            actions, since = self.agenda.pop(day), moment
            for i, action in enumerate(actions):
                if vt is not None:
                    moment = simulate_time.arrival_offset(i, len(actions), since)
                    vt.at(moment)
                action(day)

    def run(self, on_day: Callable[[int], None] | None = None) -> None:
        self.schedule()
        for day in range(horizon_days(self.waves)):
            for wave in self.waves:
                if wave.opens_day == day:
                    self.wave_action(wave.wave, "open")
            self.work_through(day)
            self.cloud.settle()
            self.count_open_executions(day)
            for wave in self.waves:
                if wave.closes_day == day:
                    self.wave_action(wave.wave, "close")
            vt = self.cloud.virtual
            if vt is not None:
                vt.at(timing.JOBS_AT.total_seconds())
            for job, ran in self.cloud.run_scheduled().items():
                if "not_started" in ran:
                    self.report.runs_not_started[job] += 1
            self.cloud.settle()
            if vt is not None:
                self.quota_log.after_jobs(vt, day)
            self.cloud.clock.advance(timedelta(days=1))
            if on_day:
                on_day(day)


def simulate(
    participants: int,
    seed: int,
    faults: float = 0.0,
    statement: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    inspect: Callable[[LocalCloud, list[Persona]], None] | None = None,
    then: Callable[[LocalCloud, Report], None] | None = None,
    open_executions_quota: int | None = None,
    shape: str = "one-wave",
    scale: int = 1,
    lifecycle_asl: Path | None = None,
    provider_latency_ms: float | None = None,
    payout_concurrency: int | None = None,
) -> Report:
    """`inspect(cloud, personas)`, if given, runs after the checks, before the local
    world is torn down (tests read the table through it); `then(cloud, report)` last of
    all, still before the teardown (`prakerja simulate --serve` serves the world from it).

    `shape`: when participants arrive (prakerja/load_shape.py). `scale`: AWS's quotas divided
    by it, for a load divided by it (docs/capacity.md, "simulate --scale"); an explicit
    `open_executions_quota` wins. `lifecycle_asl`: run the lifecycle on another definition,
    to compare designs (e.g. the one before ADR 0013). With `scale` > 1 or a
    `provider_latency_ms`, the run is in virtual time: the rate quotas (divided by `scale`), the
    Lambda timeouts and the provider's latency cost what they would (simulate_time.py).
    `payout_concurrency`: the payout run's children side by side (config.PAYOUT_RUN_MAX_CONCURRENCY),
    to see what a narrower fan-out does to lateness."""
    rng = random.Random(seed)
    if open_executions_quota is None and scale > 1:
        open_executions_quota = max(1, config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA // scale)
    waves = load_shape.plan(shape, participants)
    report = Report(
        participants, seed, faults, load_shape=shape, scale=scale, open_executions_quota=open_executions_quota
    )
    provider = FakeProvider(fault_rate=faults, seed=seed)
    virtual = simulate_time.virtual_time_for(scale, provider_latency_ms)
    started = time.perf_counter()
    horizon = horizon_days(waves)
    with (
        simulate_time.payout_concurrency(payout_concurrency),
        ids.seeded_source(seed),
        LocalCloud(
            start=DEFAULT_START,
            provider=provider,
            open_executions_quota=open_executions_quota,
            lifecycle_asl=lifecycle_asl,
            virtual=virtual,
        ) as cloud,
    ):  # same seed, same ids
        with _long_lived_heap():
            personas = make_personas(participants, rng, waves)
            sim = Simulation(cloud, personas, rng, report, duplicate_deliveries=faults > 0, waves=waves)
            sim.run(on_day=(lambda d: progress(d + 1, horizon)) if progress else None)
            if virtual is not None:
                report.virtual_time = sim.quota_log.as_dict(virtual)
            report.wall_seconds = time.perf_counter() - started
            summarise(cloud, personas, report)
            report.violations.extend(check_invariants(cloud, personas))
            if statement:
                provider.write_statement(statement)
            if inspect:
                inspect(cloud, personas)
        if then:  # e.g. serving for hours: with the collector as usual
            then(cloud, report)
    return report


@contextmanager
def _long_lived_heap():
    """The run keeps almost everything it allocates (moto's tables, executions and their
    histories), so the collector's full passes over the whole heap cost time and free
    little: 15 full collections took 4 s of a 200-participant run (0.2 s each, growing
    with the heap). What exists once the local cloud is up (modules, botocore and moto
    models) is moved out of the collector's sight, and full passes are made rarer. Only
    the cycle collector's timing changes: nothing the run computes."""
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(threshold[0], threshold[1], max(threshold[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def summarise(cloud: LocalCloud, personas: list[Persona], report: Report) -> None:
    executions = cloud.executions()
    report.executions.update(e["status"] for e in executions)
    paid: Counter = Counter()
    for line in cloud.provider.statement_lines():
        if line["status"] == "PAID":
            paid[line["kind"]] += line["amount_idr"]
            report.payouts_paid += 1
    report.paid_idr = {
        inc.POST_TRAINING: paid[inc.POST_TRAINING],
        inc.SURVEY: paid[inc.SURVEY],
        "total": sum(paid.values()),
    }
    transitions: list[int] = []
    happy: list[int] = []
    histories = cloud.histories()
    from prakerja_flow.data import participants as profiles  # loaded by the local cloud, as below

    for p in personas:
        if not p.participant_id:
            continue
        if p.participant_id not in histories:
            # No execution: it starts at the first certificate (ADR 0015).
            report.final_states[_state_without_execution(profiles.require(p.participant_id))] += 1
            continue
        events = histories[p.participant_id]
        entered = [e for e in events if e["type"].endswith("StateEntered")]
        report.final_states[_final_state(events, entered)] += 1
        transitions.append(len(entered))
        if entered and entered[-1]["stateEnteredEventDetails"]["name"] in GRANTED_END_STATES:
            happy.append(len(entered))
    report.transitions = {
        "all_mean": round(sum(transitions) / len(transitions), 1) if transitions else 0.0,
        "complete_lifecycle_mean": round(sum(happy) / len(happy), 1) if happy else 0.0,
    }
    # The lifecycle's own tasks; the payout run's steps are scheduled work, as its Lambda was.
    task_functions = {spec.function_name for spec in catalogue.functions_of(catalogue.LIFECYCLE)}
    task_calls = sum(v for k, v in invoker.invocation_counts.items() if k in task_functions)
    report.lambda_invocations = {
        "state_machine_tasks_mean": round(task_calls / len(transitions), 1) if transitions else 0.0
    }
    # Imported here, not at the top: the functions' modules must first be loaded by the local
    # cloud, with its environment (the log level of the functions' logger).
    from prakerja_flow.data import entitlements

    registered = [p for p in personas if p.participant_id]
    # The clock stands a day after the last day's jobs ran (Simulation.run).
    last_run = cloud.clock() - config.PAYOUT_RUN_INTERVAL
    report.lateness = payout_lateness.measure(
        (e for p in registered for e in entitlements.of(p.participant_id)),
        {p.participant_id: p.own_cause_until for p in registered},
        last_run,
    )


def _state_without_execution(profile: dict) -> str:
    """Where a participant without an execution stands: revoked by the deadline sweep (never
    bought), cancelled, or still before the first certificate."""
    return f"{participation.ENDED_STATE.get(profile['status'], 'waiting:FirstCertificate')} (no execution)"


def _final_state(events: list[dict], entered: list[dict]) -> str:
    last = events[-1]["type"] if events else ""
    state = entered[-1]["stateEnteredEventDetails"]["name"] if entered else "none"
    if last == "ExecutionSucceeded":
        return state
    if last in ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
        return f"{last}@{state}"
    return f"waiting:{state}"
