"""Every amount, limit, date and interval of the programme, in one place.

Money is integer rupiah. Durations are `timedelta`s so that no caller has to
remember a unit. Values follow the 2020-2022 scheme (Permenko 11/2020 and the
PMO letter S-148/Dir-Eks/06/2020); change them here and nowhere else.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

# --- money (integer rupiah) -------------------------------------------------
TRAINING_BALANCE_IDR = 1_000_000
POST_TRAINING_PAYOUT_IDR = 600_000
POST_TRAINING_PAYOUT_COUNT = 4
SURVEY_PAYMENT_IDR = 50_000
SURVEY_COUNT = 3
CASH_INCENTIVE_CAP_IDR = POST_TRAINING_PAYOUT_IDR * POST_TRAINING_PAYOUT_COUNT + SURVEY_PAYMENT_IDR * SURVEY_COUNT
PACKAGE_CAP_IDR = TRAINING_BALANCE_IDR + CASH_INCENTIVE_CAP_IDR
assert PACKAGE_CAP_IDR == 3_550_000, "the programme's package is Rp3,550,000 per participant"

# Calendar dates (birthdays, the bundle-ban date, survey days) are Jakarta dates.
PROGRAMME_TIMEZONE = timezone(timedelta(hours=7), "WIB")

# --- participants -------------------------------------------------------------
MINIMUM_AGE_YEARS = 18
NIK_FEMALE_DAY_OFFSET = 40
# Province codes in use (Kemendagri); 2-digit numbers outside this set are invalid.
PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        31,
        32,
        33,
        34,
        35,
        36,
        51,
        52,
        53,
        61,
        62,
        63,
        64,
        65,
        71,
        72,
        73,
        74,
        75,
        76,
        81,
        82,
        91,
        92,
        93,
        94,
    }
)

# --- trainings ----------------------------------------------------------------
BUNDLE_BAN_EFFECTIVE = date(2020, 6, 30)
PURCHASE_DEADLINE = timedelta(days=30)
# Unused training balance returns to the treasury this long after acceptance.
BALANCE_VALIDITY = timedelta(days=180)
RATING_MIN_STARS = 1
RATING_MAX_STARS = 5
# A purchase needs the participant's voucher for that platform and training, taken from the
# portal (domain/vouchers.py). A day is enough to finish checking out and short enough
# that a code read off a screen or leaked is soon useless.
PURCHASE_VOUCHER_VALIDITY = timedelta(hours=24)
REVIEW_MIN_CHARS = 10
REVIEW_MAX_CHARS = 2_000

# --- incentives -----------------------------------------------------------------
# "3-5 working days after everything is met": the upper bound, in calendar days.
FIRST_PAYOUT_DELAY = timedelta(days=5)
PAYOUT_INTERVAL = timedelta(days=30)
# No rating, no incentive: a participant who has rated no training this long after the first
# completion gets none, and the lifecycle execution ends (RatingWindowClosed) instead of
# holding one of the account's open executions until the state machine's 300-day timeout
# (docs/capacity.md). A rating after it is refused.
RATING_WINDOW = timedelta(days=60)
# AWS Step Functions: STANDARD executions open at once per account and Region (a soft quota;
# StartExecution beyond it answers ExecutionLimitExceeded, registration then 503). The local
# stack enforces it too (prakerja/local/moto_patches/fidelity/open_executions_quota.py).
STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA = 1_000_000
# Step Functions' API rates as token buckets: (bucket size, refill per second), the defaults
# of most Regions (/work/shared/notes/aws-limits.md). A call that finds its bucket empty is
# answered ThrottlingException (botocore retries it with backoff, data/clients.py); state
# transitions beyond theirs slow the execution down. The local stack enforces them in virtual
# time (prakerja/local/moto_patches/fidelity/rate_buckets.py), divided by `simulate --scale`.
STEP_FUNCTIONS_RATE_BUCKETS = {
    "StartExecution": (800, 150),
    "SendTaskSuccess": (1_500, 300),
    "SendTaskFailure": (1_500, 300),
    "SendTaskHeartbeat": (1_500, 300),
    "StateTransition": (800, 500),
}
# Survey n opens this long after the first monthly payout actually PAID (n = 1, 2, 3), not
# after its due date: a participant whose account was fixed late still gets all three windows
# (domain/survey_windows.py, docs/decisions/0016-survey-windows-from-the-first-payout-paid.md).
SURVEY_OPENS_AFTER_FIRST_PAYOUT = (timedelta(days=30), timedelta(days=60), timedelta(days=90))
SURVEY_WINDOW = timedelta(days=30)
assert len(SURVEY_OPENS_AFTER_FIRST_PAYOUT) == SURVEY_COUNT

# --- payout accounts ------------------------------------------------------------
# A transfer the provider rejected because the account is frozen or its phone number changed
# (domain/provider_rejections.py) is sent again only after this long, unless the account is
# changed first: a re-send the next day would only be rejected again.
ACCOUNT_REJECTION_RETRY_AFTER = timedelta(days=7)
PAYOUT_CHANNELS = ("BANK", "OVO", "GOPAY", "LINKAJA", "DANA")
# A payout account that replaces another is paid only after this long: an account
# takeover (a stolen portal session) would otherwise divert the very next payout. Three
# days give the participant time to see the change on the status page and complain;
# banks hold new payees for a similar time. The first account a participant sets has no
# hold: there is nothing to divert yet.
PAYOUT_ACCOUNT_COOLING_OFF = timedelta(days=3)

# --- scheduled jobs (EventBridge Scheduler in AWS, the local scheduler locally) ---
PAYOUT_RUN_INTERVAL = timedelta(days=1)
# A payout-run execution that is still going after this is stopped by Step Functions: less
# than the interval, so one run's children never pay beside the next run's (that would be
# safe, each payout is claimed once, but it would double the provider's load).
PAYOUT_RUN_TIMEOUT = timedelta(hours=20)
DEADLINE_SWEEP_INTERVAL = timedelta(days=1)
PAYOUT_RUN_BATCH_SIZE = 100
# Work queues in the GSI are split over this many partitions so that no key is hot, and
# the payout run's Map state fans out one child per shard with work: the shard count caps
# the run's parallelism (statemachines/payout_run.asl.json). Only ever raise it: items keep
# the shard they were written with, so a lower count would strand some.
QUEUE_SHARDS = 16
# The deadline queue (purchase deadlines, survey windows, rating windows, balance expiry)
# is read by one sweep a day and written about once per participant per deadline: 8
# partitions keep it far from a hot key and cost the sweep half the queries of 16.
DEADLINE_QUEUE_SHARDS = 8
# How many shards the payout run pays side by side (the Map's MaxConcurrencyPath, from
# the plan step). 16 workers at about 200 ms of provider round trips per payout (inquiry
# and transfer) pay about 80 a second: 680,000 in about 2.4 hours, while the resumed
# executions stay far under Step Functions' transition and SendTaskSuccess refill rates
# (docs/capacity.md, docs/decisions/0012-payout-run-workflow.md).
PAYOUT_RUN_MAX_CONCURRENCY = 16
# A shard child pays for at most one Lambda invocation at a time and then loops; after
# this many invocations in one run it stops and the next run continues (a bound on the
# execution's history, 25,000 events in AWS, at about 7 events per invocation).
PAYOUT_RUN_MAX_BATCHES_PER_SHARD = 100
# A SENT transfer older than this without an outcome is settled by asking the provider.
SENT_SETTLEMENT_AFTER = timedelta(minutes=15)
# A development stack on a published programme clock (handlers/clock_source.py): how stale a
# function instance's copy of it may be, so `ops clock advance` is seen everywhere within this.
PUBLISHED_CLOCK_MAX_AGE = timedelta(seconds=1)

# Attempts per AWS call (first try included) on throttling and 5xx, with botocore's
# exponential backoff and full jitter (data/clients.py): about 5 s of backoff in the worst case.
AWS_CALL_MAX_ATTEMPTS = 5

# --- programme budget (cash incentives) ------------------------------------------
# Ceiling on the programme-wide total of cash incentives sent to the provider (reserved
# before each transfer, released when the provider refuses). Default: the 2020 APBN
# allocation of Rp20 trillion for Kartu Prakerja. Operators override it with an item in
# the table (data/controls.py: set_budget_ceiling); the item wins over this constant.
CASH_INCENTIVE_BUDGET_IDR = 20_000_000_000_000

# --- HTTP payment provider (payments/http.py) -------------------------------------
# Calls per second the provider's contract allows (inquiries, transfers, status), for all
# payout children together: each keeps to an equal share (payments/rate_limit.py). At two
# calls per payout this caps payouts at 100/s, so the resumed executions stay under Step
# Functions' refill rates (2 transitions of 500/s and 1 SendTaskSuccess of 300/s per payout)
# with room for the API. An assumption until a provider's contract says otherwise.
PAYMENT_PROVIDER_MAX_CALLS_PER_SECOND = 200
# A bank's or e-wallet's round trip per call, as planned for: bench/payout_day.py's fake
# provider sleeps it, `simulate --scale` charges it in virtual time (docs/capacity.md).
PAYMENT_PROVIDER_LATENCY = timedelta(milliseconds=100)
# A DynamoDB request's round trip from a Lambda function in the same Region, as planned for
# (AWS quotes single-digit milliseconds; 5 ms is the middle, transactions included): `simulate
# --scale` charges it for every call in virtual time, so a payout child's own table work
# lengthens the payout day as it does on AWS (prakerja/local/moto_patches/fidelity/dynamodb_latency.py).
DYNAMODB_CALL_LATENCY = timedelta(milliseconds=5)
# Connecting is quick or broken: fail fast and retry. Reading waits for a bank or
# e-wallet round trip, so it gets longer; a transfer whose answer does not arrive in
# time is left SENT (outcome unknown) and settled by a later run, never failed.
PAYMENT_PROVIDER_CONNECT_TIMEOUT = timedelta(seconds=3)
PAYMENT_PROVIDER_READ_TIMEOUT = timedelta(seconds=15)
# Attempts per call (first try included) on 5xx and connection errors. Every call is
# idempotent (transfers by their Idempotency-Key), so retrying never pays twice.
PAYMENT_PROVIDER_MAX_ATTEMPTS = 3
# Exponential backoff between attempts: base * 2**(attempt - 1), capped, with full jitter.
PAYMENT_PROVIDER_BACKOFF_BASE = timedelta(milliseconds=200)
PAYMENT_PROVIDER_BACKOFF_MAX = timedelta(seconds=2)
# How long a fetched API key is reused before Secrets Manager is asked again (rotation).
PAYMENT_PROVIDER_SECRET_TTL = timedelta(minutes=15)
# A payout run starts no new payout with less than this left before its Lambda timeout:
# one payout's worst case is an inquiry and a transfer, each up to MAX_ATTEMPTS x (connect
# + read timeout) plus backoff, about 2 x 3 x 18 s + 4 s = 112 s. What is left stays
# queued for the next run, untouched.
PAYOUT_RUN_STOP_BEFORE_TIMEOUT = (
    2 * PAYMENT_PROVIDER_MAX_ATTEMPTS * (PAYMENT_PROVIDER_CONNECT_TIMEOUT + PAYMENT_PROVIDER_READ_TIMEOUT)
    + 2 * PAYMENT_PROVIDER_BACKOFF_MAX
)

# --- reconciliation ---------------------------------------------------------------
RECONCILIATION_INTERVAL = timedelta(days=1)
# Each run compares the provider's statement of this window (ending at the run's
# scheduled time) with our ledger. Longer than the interval so that a transfer near a
# window edge is looked at twice rather than never.
RECONCILIATION_WINDOW = timedelta(days=2)

# Safety net for a lifecycle that somehow never ends (AWS caps executions at 1 year).
LIFECYCLE_TIMEOUT = timedelta(days=300)

# --- API ------------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = 16 * 1024
# API Gateway REST quota: the request line and header values together (10,240 bytes).
API_MAX_HEADER_BYTES = 10_240

# --- API input limits (handlers/request_body.py, handlers/api_models.py, handlers/text.py) --
# Checked before the body is parsed: the deepest body the API takes is 3 levels (a
# purchase's list of trainings), and a JSON parser that recurses would fail far deeper.
REQUEST_JSON_MAX_DEPTH = 8
# DynamoDB numbers hold 38 significant digits; a longer integer literal is refused while
# parsing (and Python's int() would need quadratic time for thousands of digits).
REQUEST_JSON_MAX_INTEGER_DIGITS = 38
# Every number the API accepts has explicit bounds (api_models.py, path parameters).
WAVE_MIN, WAVE_MAX = 1, 1_000
PURCHASE_MAX_TRAININGS = 20
SURVEY_MAX_ANSWERS = 50
# A survey's numeric answers (a count, a score, an income in rupiah): far inside 38 digits.
SURVEY_ANSWER_INT_MIN, SURVEY_ANSWER_INT_MAX = -1_000_000_000_000, 1_000_000_000_000
# Free text (characters, after NFC normalisation; the rules per field are in handlers/text.py).
FULL_NAME_MAX_CHARS = 128
ACTOR_MAX_CHARS = 128
REASON_MAX_CHARS = 500
SURVEY_ANSWER_MAX_CHARS = 1_000

# --- personal data (ADR 0018, UU 27/2022) ---------------------------------------------------
# Envelope encryption of participants' identifiers (data/identifiers.py): a data key from KMS
# is reused for this long or this many items, whichever ends first, so a registration burst
# or a payout run calls KMS once per data key, not once per item. Short enough that a data
# key's plaintext does not outlive a few minutes in a function's memory.
IDENTIFIERS_DATA_KEY_MAX_AGE = timedelta(minutes=5)
IDENTIFIERS_DATA_KEY_MAX_MESSAGES = 10_000
# Distinct data keys a process keeps (decrypting a payout run's participants meets the data
# keys of every function instance that registered them).
IDENTIFIERS_DATA_KEY_CACHE_ENTRIES = 1_000

# --- API authentication (auth/signing.py, handlers/authorizer.py) -------------------------
# A signed request is accepted this long either side of its X-Prakerja-Timestamp: room for
# clock skew and transit, short enough that a captured request soon stops being usable.
API_SIGNATURE_TOLERANCE = timedelta(minutes=5)
# Client secrets are re-read from Secrets Manager after this long (rotation takes effect).
API_CLIENT_SECRET_TTL = timedelta(minutes=5)
# Key ids that do not exist are remembered, so that repeating a guess costs no Secrets
# Manager call, but only this many and this long: each new guess costs one call (it must
# be looked up) and takes one slot, the oldest slot giving way. A key created after a miss
# is found at the latest this long after that miss.
API_UNKNOWN_KEY_CACHE_SIZE = 1_024
API_UNKNOWN_KEY_CACHE_TTL = timedelta(minutes=1)
# Every POST may carry an Idempotency-Key; a success is replayed for this long.
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# A registration whose lifecycle Step Functions would not start now (throttled, or at the
# open-executions quota) answers 503 with this Retry-After; the same request then completes it.
LIFECYCLE_START_RETRY_AFTER = timedelta(seconds=5)
IDEMPOTENCY_KEY_MAX_CHARS = 128
