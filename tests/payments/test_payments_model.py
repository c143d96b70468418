"""A model-based test of the payout protocol (issue 12): random interleavings of
overlapping payout runs, provider faults before and after accepting, crashes before and
after every write, account changes, cancellations, pauses, budget changes and duplicated
deliveries, checked after every step against a simple model of what may happen.

The real services and data layer run on moto's DynamoDB (the conditions and
transactions are what is under test); a payout "worker" is a run that read the queue
at some moment (its snapshot, possibly stale) and then processes those items one at a
time, as services/payouts.run does. A crash kills the worker at a write, before the
write reaches DynamoDB or after it committed with the answer lost.

What must hold after every step:
  - the provider paid no key twice and never saw a key again once it had accepted it;
  - every transfer went to the participant's own, active, KYC-verified account on file,
    past its cooling-off hold, while the participant was ACTIVE and payouts were not
    paused (checked by the provider at the moment of sending);
  - no participant got more than the cash cap, the budget counter equals the
    reservations held, and nothing was paid beyond the highest ceiling ever set;
  - our records agree with the provider's (PAID here means paid there).
At the end, once every cause is cured, everything owed to an active participant is paid
exactly once and a cancelled participant's unpaid entitlements are all CANCELLED.

PRAKERJA_MODEL_EXAMPLES raises the number of examples (default 40) for a deeper run."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from prakerja.local import identifier_keys, moto_patches
from prakerja.statement_check import statement_problems
from prakerja_flow import clock, config
from prakerja_flow.data import budget_leases, clients, controls, dynamo, entitlements, keys, schema
from prakerja_flow.data import participants as profiles
from prakerja_flow.data import waves as waves_data
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain import participation
from prakerja_flow.domain.nik import build_nik
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.payments.provider import REJECTED, ProviderUnavailable, TransferResult
from prakerja_flow.services import operator, participants, payouts

START = datetime(2020, 7, 1, 8, 0, tzinfo=UTC)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
OTHER_NIK = "3171010101900001"
WORKERS = ("A", "B")
PIDS = ("PA", "PB", "PC")


CRASHES = st.one_of(st.none(), st.none(), st.tuples(st.integers(1, 6), st.sampled_from(["before", "after"])))
# "rejected": the provider refuses the transfer for good (no money moves); the entitlement
# must be paid later under its next transfer key, never by sending the same key again.
# "limit": refused for a full e-wallet (balance_limit_reached): held, no send, until next month.
FAULTS = st.sampled_from([None, "before", "before", "after", "rejected", "limit"])


class Crash(Exception):
    """The worker's Lambda dies at this write."""


class World:
    """The provider's side of the model: it checks every transfer as it arrives against
    what the model itself knows (not what our tables say)."""

    def __init__(self, fake: FakeProvider):
        self.fake = fake
        self.inquiry_down = False
        self.violations: list[str] = []
        self.accepted: set[str] = set()
        self.sends: Counter = Counter()  # transfer calls per key: re-sends are where the holes were
        # The model's own record of the participants, kept by the rules below.
        self.nik: dict[str, str] = {}
        self.account: dict[str, tuple[str, str]] = {}
        self.changed_at: dict[str, datetime] = {}  # last change of an existing account
        self.cancelled: set[str] = set()
        # What the sending worker's run saw when it started (payouts.run reads both once).
        self.run_paused = False
        self.run_paused_waves: frozenset = frozenset()

        # Set by a run step: `draw` decides, call by call, whether the provider fails and
        # whether another worker runs inside this provider call (overlapping runs: a
        # provider call is where a run spends its time); `other` is that worker's step.
        self.draw = None
        self.other = None

    def _maybe_interleave(self, call: str) -> None:
        if self.other and self.draw(st.sampled_from([False, False, True]), label=f"interleave in {call}"):
            other, self.other = self.other, None  # one overlap per step, never nested deeper
            other()

    def inquire(self, channel: str, number: str, holder_nik: str):
        self._maybe_interleave("inquire")
        if self.inquiry_down:
            raise ProviderUnavailable("inquiry service down")
        return self.fake.inquire(channel, number, holder_nik)

    def status(self, key: str):
        self._maybe_interleave("status")
        return self.fake.status(key)

    def transfer(self, request):
        # Checked at the moment of sending; what happens while the request is in flight
        # (another worker, a cancellation, an account change) happens after that moment.
        self._check(request)
        self.sends[request.idempotency_key] += 1
        self._maybe_interleave("transfer")
        fault = self.draw(FAULTS, label="provider fault") if self.draw else None
        if fault == "before":
            raise ProviderUnavailable("503 before accepting")
        if fault in ("rejected", "limit"):
            result = self._reject(request, "balance_limit_reached" if fault == "limit" else None)
        else:
            result = self.fake.transfer(request)
        self.accepted.add(request.idempotency_key)  # a final answer either way: never sent again
        if fault == "after":
            raise ProviderUnavailable("accepted, answer lost")
        return result

    def _reject(self, request, code: str | None = None):
        with self.fake._lock:
            if request.idempotency_key in self.fake.transfers:
                return self.fake.transfers[request.idempotency_key]  # a repeat replays the first outcome
            result = TransferResult(REJECTED, f"REJ{len(self.fake.transfers) + 1:09d}", "bank offline", code)
            self.fake.transfers[request.idempotency_key] = result
            self.fake._line(request, result.transfer_id, REJECTED, clock.iso(clock.now()))
            return result

    def _check(self, request) -> None:
        pid, key, now = request.participant_id, request.idempotency_key, clock.now()
        destination = (request.channel, request.account_number)
        known = self.fake.accounts.get(destination)
        problems = []
        if key in self.accepted:
            problems.append("a key the provider had already accepted was sent again")
        if pid in self.cancelled:
            problems.append("participant was cancelled")
        if destination != self.account[pid]:
            problems.append("not the account on file")
        if known is None or known.holder_nik != self.nik[pid] or not known.kyc_verified or not known.active:
            problems.append("not the participant's own active verified account")
        if pid in self.changed_at and now < self.changed_at[pid] + config.PAYOUT_ACCOUNT_COOLING_OFF:
            problems.append("during the account's cooling-off")
        if self.run_paused or 1 in self.run_paused_waves:
            problems.append("while payouts were paused")
        self.violations += [f"{key}: {p}" for p in problems]


class Worker:
    def __init__(self):
        self.queue: list[dict] = []
        self.done: list[dict] = []
        self.report: payouts.RunReport | None = None
        self.dead = False  # crashed: its budget lease stays until a run's summary returns it


class PayoutProtocol(RuleBasedStateMachine):
    @initialize()
    def build(self):
        self.now = START
        clock.set_source(lambda: self.now)
        self.table = f"model-{id(self)}-{os.getpid()}"
        os.environ["TABLE_NAME"] = self.table
        clients.reset()
        ddb = clients.client("dynamodb")
        ddb.create_table(**schema.table_definition(self.table))
        self.crash_at: tuple[int, str] | None = None
        self.writes_seen = 0
        ddb.meta.events.register("before-call.dynamodb", self._before_write)
        ddb.meta.events.register("after-call.dynamodb", self._after_write)
        self.fake = FakeProvider()
        self.world = World(self.fake)
        self.workers = {w: Worker() for w in WORKERS}
        self.ceilings = [config.CASH_INCENTIVE_BUDGET_IDR]
        self.forged: set[str] = set()
        waves_data.put_status(1, None, "OPEN", self.now)
        # Granted long ago: every monthly payout is due at the start (and survey 3 open), so
        # that each example has a dozen payments in play, not one.
        granted = (
            self.now - config.FIRST_PAYOUT_DELAY - (config.POST_TRAINING_PAYOUT_COUNT - 1) * config.PAYOUT_INTERVAL
        )
        for n, pid in enumerate(PIDS, start=1):
            nik = build_nik(31, 71, 1, datetime(1990, 1, n).date(), "F", n)
            profile = participation.accepted(pid, nik, "Model", 1, "F", "1990-01-01", self.now)
            profiles.register(profile, profiles.nik_guards(nik), self.now)
            number = f"0811000000{n:02d}"
            # PA, PB: own and verified; PC: in someone else's name until an account change.
            self.fake.open_account("OVO", number, nik if pid != "PC" else OTHER_NIK, kyc_verified=True)
            participants.set_payout_account(pid, "OVO", number, "portal:model", self.now)
            self.world.nik[pid], self.world.account[pid] = nik, ("OVO", number)
            assert entitlements.grant(pid, "ORD1", inc.plan_incentives(granted), granted, lifecycle_waits=False)

    def teardown(self):
        # Steer the search towards examples with many re-sends after settlement and many
        # account changes and cancellations around them: the paths the holes were on.
        target(float(sum(n - 1 for n in self.world.sends.values() if n > 1)), label="re-sends")
        target(float(len(self.world.changed_at) + len(self.world.cancelled)), label="changes and cancellations")
        try:
            self.everything_is_cured_and_the_runs_catch_up()
        finally:
            self._drop_world()

    def _drop_world(self):
        clock.set_source(None)
        try:
            clients.client("dynamodb").delete_table(TableName=self.table)
        except Exception:  # noqa: BLE001 - best effort between examples
            pass
        clients.reset()

    # --- crash injection at the data layer's writes --------------------------------------------

    def _before_write(self, model, **_):
        if model.name in WRITES and self.crash_at:
            self.writes_seen += 1
            if self.writes_seen == self.crash_at[0] and self.crash_at[1] == "before":
                self.crash_at = None
                raise Crash(f"crash before {model.name}")

    def _after_write(self, model, **_):
        if (
            model.name in WRITES
            and self.crash_at
            and self.writes_seen == self.crash_at[0]
            and self.crash_at[1] == "after"
        ):
            self.crash_at = None
            raise Crash(f"crash after {model.name} committed")

    # --- the cloud: payout runs (workers), overlapping and crashing ----------------------------

    def _start_run(self, w: Worker) -> None:
        """A run reads its view of the world when it starts (pause, budget, the queue), as
        payouts.run does; it may be stale by the time it processes an item."""
        w.report = payouts.RunReport(clock.iso(self.now))
        w.report.paused = bool((controls.get_pause() or {}).get("paused"))
        w.report.paused_waves = controls.paused_waves()
        w.report.budget = controls.get_budget()
        w.queue = (
            []
            if w.report.paused
            else [
                item
                for shard in range(config.QUEUE_SHARDS)
                for item in entitlements.queue_page(schema.Q_PAYABLE, shard, self.now, 1000)[0]
            ]
        )
        # Its page's budget lease, as payouts._pay_pages takes it (each worker its own shard).
        w.dead = False
        w.report.shard = list(self.workers.values()).index(w)
        wanted = sum(i["amount_idr"] for i in w.queue if i["status"] in (inc.SCHEDULED, inc.DUE, inc.FAILED))
        if wanted:
            w.report.lease_idr, w.report.budget = budget_leases.take(w.report.shard, wanted, w.report.budget)

    LATER = st.sampled_from(
        [
            timedelta(0),
            timedelta(0),
            config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1),
            timedelta(days=1),
            timedelta(days=4),
        ]
    )

    def _run_some(self, worker: str, later: timedelta, fresh: bool, count: int, data) -> None:
        """`later` passes first (runs are what time is spent between); the worker (re)starts
        its run if told to or idle, then processes up to `count` items, each perhaps
        crashing at one of its writes; the provider and overlapping runs behave as the
        World draws them, call by call."""
        self.now += later
        w = self.workers[worker]
        other = self.workers[WORKERS[1 - WORKERS.index(worker)]]
        if fresh or not w.queue:
            self._start_run(w)

        current: list[dict] = []

        def other_step():
            """What happens while this worker waits for the provider: an operator cancels
            or a participant changes account, or the other worker runs its next item, or
            (the race that matters most) the very item this worker is processing, as the
            other's queue read shows it now."""
            meanwhile = data.draw(
                st.sampled_from(["cancel", "change_account", "other", "same", "same"]), label="meanwhile"
            )
            if meanwhile in ("cancel", "change_account"):
                suspended, self.crash_at = self.crash_at, None  # the worker's crash point is its own
                try:
                    getattr(self, f"_{meanwhile}")(data.draw, current[0]["participant_id"] if current else None)
                finally:
                    self.crash_at = suspended
                return
            if current and meanwhile == "same":
                fresh_item = entitlements.get(current[0]["participant_id"], current[0]["kind"], current[0]["sequence"])
                if not other.report:
                    self._start_run(other)
                self._process(other, fresh_item, None)
                return
            if not other.queue:
                self._start_run(other)
            if other.queue:
                self._process(other, other.queue.pop(0), None)

        self.world.draw = data.draw
        try:
            for _ in range(count):
                if not w.queue:
                    break
                current[:] = [w.queue.pop(0)]
                self.world.other = other_step  # at most one overlap per item
                self._process(w, current[0], data.draw(CRASHES, label="crash"))
        finally:
            self.world.draw, self.world.other = None, None
        if not w.queue and not w.dead:
            payouts._give_lease_back(w.report)  # the page is done: what it did not spend goes back

    # One rule per worker: payout processing is the most frequent event in the model.
    @rule(later=LATER, fresh=st.booleans(), count=st.integers(1, 6), data=st.data())
    def worker_a_runs(self, later, fresh, count, data):
        self._run_some("A", later, fresh, count, data)

    @rule(later=LATER, fresh=st.booleans(), count=st.integers(1, 6), data=st.data())
    def worker_b_runs(self, later, fresh, count, data):
        self._run_some("B", later, fresh, count, data)

    @precondition(lambda self: any(w.done for w in self.workers.values()))
    @rule(data=st.data())
    def deliver_again(self, data):
        """An item processed again from a worker's stale snapshot (an at-least-once
        redelivery, or a worker that read the queue before another paid it)."""
        worker = data.draw(st.sampled_from([w for w in WORKERS if self.workers[w].done]))
        w = self.workers[worker]
        self._process(w, data.draw(st.sampled_from(w.done)), None)

    def _process(self, w: Worker, item: dict, crash) -> None:
        outer = (self.crash_at, self.writes_seen, self.world.run_paused, self.world.run_paused_waves)
        self.crash_at, self.writes_seen = crash, 0
        self.world.run_paused, self.world.run_paused_waves = w.report.paused, w.report.paused_waves
        try:
            payouts._process(item, self.now, self.world, w.report)
        except Crash:
            w.queue = []  # the worker is dead; its run ends here
            w.dead = True
        finally:
            # An interleaved worker ran inside another's provider call: give that one back
            # its own view of the pause (its crash point, if any, was spent or stays its own).
            self.crash_at, self.writes_seen, self.world.run_paused, self.world.run_paused_waves = outer
        w.done.append(item)

    # --- everything else that happens: the provider, participants, operators, time ----------
    # One rule that draws which event, so that payout runs stay the most frequent step.

    @rule(
        event=st.sampled_from(
            [
                "change_account",
                "change_account",
                "account_gets_verified",
                "cancel",
                "pause",
                "budget_ceiling",
                "run_summary",
                "fill_in_survey",
                "inquiry_service",
                "time_passes",
                "forged_entitlement",
            ]
        ),
        data=st.data(),
    )
    def something_happens(self, event, data):
        getattr(self, f"_{event}")(data.draw)

    def _inquiry_service(self, draw):
        self.world.inquiry_down = draw(st.sampled_from([True, False, False]))

    def _change_account(self, draw, pid=None):
        pid, kind = pid or draw(st.sampled_from(PIDS)), draw(st.sampled_from(["own", "other", "other", "unverified"]))
        nik = self.world.nik[pid]
        number = f"0899{PIDS.index(pid)}{draw(st.integers(10, 12)):07d}"
        self.fake.open_account("DANA", number, OTHER_NIK if kind == "other" else nik, kyc_verified=kind != "unverified")
        participants.set_payout_account(pid, "DANA", number, "portal:model", self.now)
        if self.world.account[pid] != ("DANA", number):
            self.world.account[pid], self.world.changed_at[pid] = ("DANA", number), self.now

    def _account_gets_verified(self, draw):
        pid = draw(st.sampled_from(PIDS))
        channel, number = self.world.account[pid]
        known = self.fake.accounts[(channel, number)]
        self.fake.open_account(channel, number, known.holder_nik, kyc_verified=True)

    def _cancel(self, draw, pid=None):
        pid = pid or draw(st.sampled_from(PIDS))
        try:
            operator.cancel_participation(pid, "ops:model", "registered with a false identity", self.now)
            self.world.cancelled.add(pid)
        except operator.OperatorError:
            assert pid in self.world.cancelled  # only a participant already cancelled is refused

    def _pause(self, draw):
        paused = draw(st.sampled_from([True, False, False]))
        if draw(st.sampled_from(["programme", "wave"])) == "programme":
            controls.set_pause(paused, "ops:model", "model", self.now)
        else:
            controls.set_wave_pause(1, paused, "ops:model", "model", self.now)

    def _budget_ceiling(self, draw):
        ceiling = draw(st.sampled_from([None, None, 0, 1_200_000, 2_400_000]))
        controls.set_budget_ceiling(ceiling, "ops:model", "model", self.now)
        self.ceilings.append(config.CASH_INCENTIVE_BUDGET_IDR if ceiling is None else ceiling)

    def _run_summary(self, draw):
        """A run's summary returns every lease left behind (a dead child's, or one still in use
        by a worker that is mid-page: its next payout then reserves from the budget itself)."""
        budget_leases.return_all()

    def _fill_in_survey(self, draw):
        pid, sequence = draw(st.sampled_from(PIDS)), draw(st.integers(1, config.SURVEY_COUNT))
        try:
            participants.submit_survey(pid, sequence, {"q1": "ya"}, self.now)
        except Exception as refused:  # noqa: BLE001 - a refusal is a DomainError and changes nothing
            assert refused.__class__.__name__ in ("SurveyNotOpen", "SurveyAlreadySubmitted", "SurveyNotFound")

    def _forged_entitlement(self, draw):
        """A defect elsewhere (or a hand edit) puts a fifth monthly payout in the queue:
        the cash cap must still hold."""
        pid = draw(st.sampled_from(PIDS))
        last = entitlements.get(pid, inc.POST_TRAINING, config.POST_TRAINING_PAYOUT_COUNT)
        extra = config.POST_TRAINING_PAYOUT_COUNT + 1
        forged = {
            **{
                k: v
                for k, v in last.items()
                if k
                not in (
                    "version",
                    "budget_reserved_idr",
                    "transfer_id",
                    "paid_at",
                    "sent_at",
                    "failure_code",
                    "failure_reason",
                )
            },
            "sk": f"ENT#{inc.POST_TRAINING}#{extra}",
            "sequence": extra,
            "status": inc.DUE,
            "attempts": 0,
            "idempotency_key": inc.idempotency_key(pid, inc.POST_TRAINING, extra),
            schema.GSI1_PK: keys.queue(schema.Q_PAYABLE, pid),
            schema.GSI1_SK: f"{clock.iso(self.now)}#{pid}#forged",
        }
        if entitlements.get(pid, inc.POST_TRAINING, extra) is None:
            clients.client("dynamodb").put_item(TableName=self.table, Item=dynamo.to_ddb(forged))
            self.forged.add(pid)

    def _time_passes(self, draw):
        self.now += draw(st.sampled_from([timedelta(days=4), timedelta(days=31)]))

    # --- the model ----------------------------------------------------------------------------

    def _items(self) -> list[dict]:
        """The whole (small) table in one scan: cheaper than a query per participant."""
        ddb, items, kwargs = clients.client("dynamodb"), [], {"TableName": self.table}
        while True:
            out = ddb.scan(**kwargs)
            items += [dynamo.from_ddb(i) for i in out["Items"]]
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _entitlements(self) -> list[dict]:
        return [i for i in self._items() if i.get("type") == "ENTITLEMENT"]

    @invariant()
    def the_model_holds(self):
        # Every transfer was allowed at the moment it was sent.
        assert self.world.violations == []
        # The provider paid no key twice, saw no accepted key again, no one beyond the cap,
        # and nothing beyond the highest budget ceiling ever set.
        lines = self.fake.statement_lines()
        assert statement_problems(lines) == []
        paid = Counter(line["idempotency_key"] for line in lines if line["status"] == "PAID")
        assert all(n == 1 for n in paid.values()), paid
        assert not [line for line in lines if line["status"] == "DUPLICATE"]
        per_participant: Counter = Counter()
        for line in lines:
            if line["status"] == "PAID":
                per_participant[line["participant_id"]] += line["amount_idr"]
        assert all(total <= config.CASH_INCENTIVE_CAP_IDR for total in per_participant.values())
        assert sum(per_participant.values()) <= max(self.ceilings)
        # Our records agree with each other and with the provider's.
        items = self._items()
        ents = [i for i in items if i.get("type") == "ENTITLEMENT"]
        budget = next((i for i in items if i["pk"] == i["sk"] == "BUDGET"), {})
        held = sum(e.get("budget_reserved_idr", 0) for e in ents if e["status"] in (inc.SENT, inc.PAID))
        leased = sum(i["held_idr"] for i in items if i.get("type") == "BUDGET_LEASE")
        assert budget.get("committed_idr", 0) == held + leased
        assert all(i["held_idr"] >= 0 for i in items if i.get("type") == "BUDGET_LEASE")
        for profile in (i for i in items if i.get("type") == "PARTICIPANT"):
            mine = [e for e in ents if e["participant_id"] == profile["participant_id"]]
            assert profile["cash_committed_idr"] == sum(
                e["amount_idr"] for e in mine if e["status"] in (inc.SENT, inc.PAID)
            )
            assert profile["cash_paid_idr"] == sum(e["amount_idr"] for e in mine if e["status"] == inc.PAID)
        for e in ents:
            # Every transfer key the entitlement has had (a new one after each rejection):
            # the provider paid under at most one, and only the current one.
            current = inc.current_transfer_key(e)
            tried = [inc.transfer_key(e["idempotency_key"], n) for n in range(e.get("provider_rejections", 0) + 1)]
            paid_under = [k for k in tried if (t := self.fake.transfers.get(k)) is not None and t.status == "PAID"]
            if e["status"] == inc.PAID:
                assert paid_under == [current] and self.fake.transfers[current].transfer_id == e["transfer_id"]
            elif e["status"] == inc.SENT:
                assert paid_under in ([], [current]), (e, paid_under)
            else:
                assert paid_under == [], f"{e['idempotency_key']} paid but {e['status']} here"

    def everything_is_cured_and_the_runs_catch_up(self):
        """Once every cause is cured, what is owed is paid once: no faults, accounts own and
        verified, no pause, room in the budget, and months of runs (each followed by one
        past the settlement delay, for transfers whose answer was lost)."""
        self.world.draw, self.world.other = None, None
        self.world.inquiry_down = False
        self.world.run_paused, self.world.run_paused_waves = False, frozenset()
        controls.set_pause(False, "ops:model", "cured", self.now)
        controls.set_wave_pause(1, False, "ops:model", "cured", self.now)
        controls.set_budget_ceiling(None, "ops:model", "cured", self.now)
        self.ceilings.append(config.CASH_INCENTIVE_BUDGET_IDR)
        for pid in PIDS:
            channel, number = self.world.account[pid]
            self.fake.open_account(channel, number, self.world.nik[pid], kyc_verified=True)
        for _ in range(config.POST_TRAINING_PAYOUT_COUNT + 2):
            for step in (timedelta(days=31), config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1)):
                self.now += step
                payouts.run(self.now, self.world)
        self.the_model_holds()
        for e in self._entitlements():
            assert e["status"] != inc.SENT, e
            if e["participant_id"] in self.forged:
                continue  # the cap decides which of its payouts is refused (checked above), not the order
            if e["participant_id"] in self.world.cancelled:
                assert e["status"] in (inc.PAID, inc.CANCELLED), e
            elif e["kind"] == inc.POST_TRAINING or e.get("submitted_at"):
                assert e["status"] == inc.PAID, e


PayoutProtocol.TestCase.settings = settings(
    max_examples=int(os.environ.get("PRAKERJA_MODEL_EXAMPLES", "40")),
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_DEFAULT_REGION": "ap-southeast-3",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("TABLE_NAME", "model")
    with mock_aws():
        # The local runtime's speed patches (equivalence-tested against plain moto) make
        # each example about 4x faster: moto's response serialiser dominates otherwise.
        moto_patches.install()
        clients.reset()
        # The identifiers key and the NIK lookup key (ADR 0018), as the local world creates them.
        for name, value in identifier_keys.create(clients.client("kms")).items():
            monkeypatch.setenv(name, value)
        yield
    clients.reset()


TestPayoutProtocol = PayoutProtocol.TestCase
