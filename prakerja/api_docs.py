"""docs/openapi.json and docs/api.md, generated from the code (the Powertools resolver
and the error classes). `python -m prakerja.api_docs` rewrites them; a test fails
when the committed files drift from the code."""

from __future__ import annotations

import json
import sys

from prakerja_flow import catalogue, config, routes
from prakerja_flow.payments import test_accounts as ta

DOCS = catalogue.PROJECT_ROOT / "docs"
OPENAPI_PATH = DOCS / "openapi.json"
MARKDOWN_PATH = DOCS / "api.md"


def openapi() -> dict:
    from prakerja_flow.handlers.api import app

    return json.loads(app.get_openapi_json_schema())


# Codes that are not DomainError classes: who answers them, and when. Every code here is
# asserted by a test in tests/api (test_error_catalogue_codes_are_the_ones_the_code_uses).
NON_DOMAIN_CODES: dict[str, tuple[int, str]] = {
    "Unauthenticated": (401, "gateway/API: no (complete) signature headers"),
    "InvalidSignature": (403, "authorizer: unknown key id, malformed headers, or the signature does not match"),
    "RequestExpired": (
        403,
        f"authorizer: timestamp more than {int(config.API_SIGNATURE_TOLERANCE.total_seconds())} s from server time",
    ),
    "RequestReplayed": (403, "authorizer: this key id and nonce were already used"),
    "Forbidden": (403, "authorizer/API: this principal kind may not call this route"),
    "BodyHashMismatch": (403, "API: the body is not the one whose SHA-256 was signed"),
    "RouteNotFound": (404, "gateway/API: no such method and path"),
    "IdempotencyKeyInProgress": (409, "API: a request with this Idempotency-Key is still running"),
    "PayloadTooLarge": (413, f"WAF/API: body over {config.MAX_REQUEST_BODY_BYTES} bytes"),
    "UnsupportedMediaType": (
        415,
        "WAF/API: a POST or PUT whose Content-Type is not application/json (optionally ; charset=utf-8)",
    ),
    "ValidationError": (
        422,
        "gateway/API: the body is not one JSON object, is nested more than "
        f"{config.REQUEST_JSON_MAX_DEPTH} levels deep, repeats a key, has an integer of more than "
        f"{config.REQUEST_JSON_MAX_INTEGER_DIGITS} digits, or breaks the schema (unknown fields, bounds, "
        "types, the text rules); the message says which",
    ),
    "IdempotencyKeyReused": (422, "API: this Idempotency-Key was used with a different body"),
    "BadRequest": (400, "gateway: any other request API Gateway itself refuses"),
    "Throttled": (429, "gateway: rate limit; retry later with the same Idempotency-Key"),
    "InternalError": (500, "a fault on our side; retry with the same Idempotency-Key"),
}


def error_catalogue() -> list[tuple[str, int, str]]:
    from prakerja_flow.domain import errors

    found = {
        cls.__name__: (
            cls.http_status,
            (cls.__doc__ or "business rule (domain/errors.py); the message says which").strip().splitlines()[0],
        )
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError) and cls is not errors.DomainError
    }
    found.update(NON_DOMAIN_CODES)
    return sorted(((code, status, what) for code, (status, what) in found.items()), key=lambda item: (item[1], item[0]))


def _principals(route: routes.Route) -> str:
    return ", ".join(sorted(route.principals)) or "public"


# Signing test vectors: fixed inputs and what a correct client computes from them. The
# values were computed once by an implementation written from the text below alone
# (hashlib, hmac and urllib.parse, not auth/signing.py); tests/api/test_api_signing_vectors.py
# checks that auth/signing.py, the documented snippet and the local API agree with them.
VECTOR_SECRET = "prakerja-example-secret-0123456789abcdef"
SIGNING_VECTORS = (
    {
        "key_id": "example-portal-1",
        "method": "POST",
        "path": "/participants",
        "query": "",
        "body": '{"nik":"3171015705900001","full_name":"Siti","wave":1}',
        "timestamp": 1700000000,
        "nonce": "nonce-0000000000000001",
        "canonical_query": "",
        "content_sha256": "8b520eb373298d23d0e97adea10bec6c8a02f02f7c46b95a6259ac0791a4cb98",
        "signature": "143184eea732731c42a786ce35172901c7ac5a5e644a0c6d1865b1d2a0bf7ce9",
    },
    {
        "key_id": "example-operator-1",
        "method": "GET",
        "path": "/participants/P0123456789ABCDEF",
        "query": "view=full&lang=id+ID&a=%2B&a=b",
        "body": None,
        "timestamp": 1700000060,
        "nonce": "nonce-0000000000000002",
        "canonical_query": "a=%2B&a=b&lang=id%20ID&view=full",
        "content_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "signature": "744e93c687bb0e6e261152d4be032efbc2dbab58078ac02b1bdd347ea9dc7528",
    },
    {
        "key_id": "example-platform-1",
        "method": "POST",
        "path": "/participants/P0123456789ABCDEF/purchases/O1/rating",
        "query": "",
        "body": '{"instructor":5,"facilities":4,"programme":5,"review":"Materi jelas sekali."}',
        "timestamp": 1700000120,
        "nonce": "nonce-0000000000000003",
        "canonical_query": "",
        "content_sha256": "675f92164782332da2035c40e329e7e5eca214d6ce53a5020c8c95a590f0041a",
        "signature": "51d7f1fa798f6a81263302b1024079ff51cc4dbed301c724d4c06cf4ab200703",
    },
)


def vector_string_to_sign(vector: dict) -> str:
    return "\n".join(
        (
            "PRAKERJA-HMAC-SHA256",
            vector["method"],
            vector["path"],
            vector["canonical_query"],
            str(vector["timestamp"]),
            vector["nonce"],
            vector["key_id"],
            vector["content_sha256"],
        )
    )


def _vectors_markdown() -> str:
    parts = [
        f"Every vector uses the secret `{VECTOR_SECRET}`. Check your client against them before calling the API.",
        "",
    ]
    for n, v in enumerate(SIGNING_VECTORS, 1):
        request = f"{v['method']} {v['path']}" + (f"?{v['query']}" if v["query"] else "")
        parts += [
            f"**Vector {n}**: key id `{v['key_id']}`, timestamp `{v['timestamp']}`, nonce `{v['nonce']}`, "
            f"request `{request}`, body {('`' + v['body'] + '`') if v['body'] is not None else 'none'}.",
            "",
            "```text",
            vector_string_to_sign(v),
            "```",
            "",
            f"canonical query `{v['canonical_query']}`{' (empty)' if not v['canonical_query'] else ''}; "
            f"X-Prakerja-Content-SHA256 `{v['content_sha256']}`; X-Prakerja-Signature `{v['signature']}`",
            "",
        ]
    return "\n".join(parts)


_LIFECYCLE_DAYS = (config.FIRST_PAYOUT_DELAY + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[-1] + config.SURVEY_WINDOW).days

# In the markdown templates below, a backslash at the end of a source line joins it to the
# next (Python drops both): docs/api.md keeps its long lines. `\\` is a backslash in the markdown.
SIGNING = f"""## Signing requests

Every route except the documentation needs a signed request. Each client (a partner
platform, the participant portal, an operator tool) gets a key id and a secret; the key's
principal kind (`platform`, `portal`, `operator`) decides which routes it may call, and a
platform's identity is bound to everything it writes: no request body names a platform.

Send these headers (names are case-insensitive), and with every POST or PUT
`Content-Type: application/json` (optionally `; charset=utf-8`): any other media type is
refused with 415 `UnsupportedMediaType` before the signature is looked at.

| header | value |
| --- | --- |
| `X-Prakerja-Key-Id` | your key id |
| `X-Prakerja-Timestamp` | unix seconds now; \
refused when more than {int(config.API_SIGNATURE_TOLERANCE.total_seconds())} s off |
| `X-Prakerja-Nonce` | 16-64 random characters `A-Z a-z 0-9 _ -`, never reused (a reused one is a replay) |
| `X-Prakerja-Content-SHA256` | lowercase hex SHA-256 of the exact body bytes you send \
(of the empty string without a body) |
| `X-Prakerja-Signature` | lowercase hex HMAC-SHA256(secret, string to sign), the secret's UTF-8 bytes as the key |

The string to sign is these eight lines joined by `\\n` (no line break at the end):

1. `PRAKERJA-HMAC-SHA256`
2. the method, upper case
3. the path, without the stage and without the query (e.g. `/participants/P1/purchases`).
   Send it unescaped and sign exactly what you send: every path parameter is an id of
   `A-Z a-z 0-9 . _ : -`, which needs no percent-encoding, so the path you send and the
   path the server checks are the same string. (Percent-escapes have no place in this
   API's paths: the local gateway, for one, checks the path decoded, so a path signed with
   its escapes does not match.)
4. the canonical query: the query's `name=value` pairs decoded as a form is (`+` and
   `%20` are a space, `%2B` is a plus, a pair without `=` has an empty value), each name
   and value then percent-encoded as UTF-8 with every byte except `A-Z a-z 0-9 - _ . ~`
   written `%XX` (upper-case hex; a space is `%20`), the pairs sorted by name, then by value,
   and joined by `&`. An empty line without a query. `?b=2&a=x+y` and `?a=x%20y&b=2` both
   give `a=x%20y&b=2`.
5. the timestamp, as sent
6. the nonce, as sent
7. the key id, as sent
8. the body's SHA-256, as sent in `X-Prakerja-Content-SHA256`

```python
import hashlib, hmac, json, secrets, time, urllib.request
from urllib.parse import parse_qsl, quote


def canonical_query(query):  # "b=2&a=x+y" -> "a=x%20y&b=2"
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{{k}}={{v}}" for k, v in pairs)


def signed(method, path, body, key_id, secret, base="http://127.0.0.1:3000", query="", ts=None, nonce=None):
    data = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    ts, nonce = str(ts or int(time.time())), nonce or secrets.token_urlsafe(24)
    digest = hashlib.sha256(data).hexdigest()
    text = "\\n".join(["PRAKERJA-HMAC-SHA256", method, path, canonical_query(query), ts, nonce, key_id, digest])
    headers = {{
        "Content-Type": "application/json",
        "X-Prakerja-Key-Id": key_id,
        "X-Prakerja-Timestamp": ts,
        "X-Prakerja-Nonce": nonce,
        "X-Prakerja-Content-SHA256": digest,
        "X-Prakerja-Signature": hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest(),
    }}
    url = base + path + (f"?{{query}}" if query else "")
    return urllib.request.Request(url, data=data or None, method=method, headers=headers)
```

### Test vectors

{_vectors_markdown()}
### Keys and secrets

In AWS, an operator creates each client's secret in Secrets Manager as
`<table name>/api-clients/<key id>` (e.g. `prod-prakerja-flow/api-clients/sekolahmu-2026`) with
the SecretString `{{"principal_kind": "platform", "principal_id": "sekolahmu", "secret": "<32+ random characters>"}}`;
rotate by issuing a new key id and deleting the old secret. See docs/decisions/0005-api-authentication.md.

`prakerja local up` creates one client per local principal: `platform:<id>` (key id
`local-platform-<id>`) for pijarmahir, sekolahmu, skillacademy, tokopedia, bukalapak, pintaria
and maubelajarapa, `portal:web` (`local-portal-web`) and `operator:ops` (`local-operator-ops`).
Their secrets exist only in that process; read them as you would in AWS, with the stock AWS CLI
on the local endpoint (any credentials work there):

```bash
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=ap-southeast-3
aws --endpoint-url http://127.0.0.1:5000 secretsmanager list-secrets --query 'SecretList[].Name' --output text
aws --endpoint-url http://127.0.0.1:5000 secretsmanager get-secret-value \\
    --secret-id prakerja-flow/api-clients/local-platform-tokopedia --query SecretString --output text
# {{"principal_kind": "platform", "principal_id": "tokopedia", "secret": "..."}}
```

`python -m prakerja.sign METHOD PATH [--body JSON] [--principal KIND:ID] [--url URL]` prints a
signed curl command for a local client (`| sh` sends it); for any other key, `--key-id ID
--secret-env VAR` with the secret in the environment variable VAR, never on the command line.

## Walkthrough: one participant from registration to the last survey, on `prakerja local up`

**Mind the clock.** `local up` runs the programme `30 days / --month-seconds` times faster
than the wall clock, with the daily payout run and deadline sweep on that clock. With the
default `--month-seconds 60` a programme day lasts 2 s, so a participant who is not sold a
training within the {config.PURCHASE_DEADLINE.days}-day purchase deadline, about a minute, is revoked. \
For a walkthrough by
hand start it slower: `prakerja local up --month-seconds 600` (a day is 20 s; from the rating to
the last survey window's close is {_LIFECYCLE_DAYS} programme days, about {round(_LIFECYCLE_DAYS * 20 / 60)} minutes).
`GET /participants/<id>` says where the participant is (`diagnosis`).

```bash
U=http://127.0.0.1:3000
python -m prakerja.sign --url $U POST /waves/1/open --body '{{"actor":"me","reason":"try"}}' | sh
python -m prakerja.sign --url $U POST /participants \
--body '{{"nik":"3171015705900001","full_name":"Siti","wave":1}}' | sh
P=...   # participant_id from the answer
python -m prakerja.sign --url $U PUT /participants/$P/payout-account \
--body '{{"channel":"OVO","account_number":"{ta.number_for(ta.OWN_VERIFIED)}"}}' | sh
python -m prakerja.sign --url $U POST /participants/$P/vouchers \
--body '{{"platform_id":"tokopedia","training_id":"T1"}}' | sh
V=...   # voucher_code from the answer: the participant's consent to one purchase \
(valid {int(config.PURCHASE_VOUCHER_VALIDITY.total_seconds() // 3600)} h, \
this platform and training, once)
python -m prakerja.sign --url $U --principal platform:tokopedia POST /participants/$P/purchases \
--idempotency-key order-1 \\
  --body '{{"purchase_id":"O1","trainings":[{{"training_id":"T1","institution_id":"LPK1","price_idr":1000000}}],\
"voucher_code":"'$V'"}}' | sh
python -m prakerja.sign --url $U --principal platform:tokopedia POST /participants/$P/purchases/O1/completion \\
  --body '{{"training_id":"T1","certificate_id":"C1"}}' | sh
python -m prakerja.sign --url $U --principal platform:tokopedia POST /participants/$P/purchases/O1/rating \\
  --body '{{"instructor":5,"facilities":4,"programme":5,"review":"Materi jelas sekali."}}' | sh
python -m prakerja.sign --url $U GET /participants/$P | sh       \
# payout 1 of Rp{config.POST_TRAINING_PAYOUT_IDR:,} is due in {config.FIRST_PAYOUT_DELAY.days} days
# survey n opens {", ".join(str(d.days) for d in config.SURVEY_OPENS_AFTER_FIRST_PAYOUT)} \
days after the first payout is paid, each for {config.SURVEY_WINDOW.days} days:
python -m prakerja.sign --url $U POST /participants/$P/surveys/1 --body '{{"answers":{{"q1":"ya","q2":4}}}}' | sh
```

The platform that sold the training must report its completion and rating (another
platform gets 403). Payouts go to the registered account only once the payment provider
confirms it belongs to this participant and is verified: `{ta.number_for(ta.OWN_VERIFIED)}` is such an account on
`local up`'s provider, and the other test accounts (Test accounts, below) fail in the ways a
real provider's do. After the rating the lifecycle pays {config.POST_TRAINING_PAYOUT_COUNT} \
monthly payouts and one payment
per submitted survey (A whole lifecycle, below); `GET /participants/<id>` then says `complete`.

## Idempotency

Every POST accepts `Idempotency-Key` (1-{config.IDEMPOTENCY_KEY_MAX_CHARS} characters `A-Z a-z 0-9 . _ : -`). A success
is remembered for {int(config.IDEMPOTENCY_KEY_TTL.total_seconds() // 3600)} h \
per caller, route and key: a retry gets the first
response again (header `Idempotent-Replayed: true`); the same key with another body gets 422
`IdempotencyKeyReused`; while the first request runs, 409 `IdempotencyKeyInProgress`. A refused
request is not remembered: it changed nothing, so it may be retried (or fixed) with the same key.
Each retry is a new request and needs a fresh signature (timestamp, nonce).

The first certificate of a participant (`POST .../purchases/{{purchase_id}}/completion` of the
first purchase) starts the participant's lifecycle execution (ADR 0015; registration starts
none). It can answer 503 `LifecycleNotStarted` with \
`Retry-After: {int(config.LIFECYCLE_START_RETRY_AFTER.total_seconds())}` \
when Step Functions will not start the lifecycle now (throttled, or the account at its
open-executions quota). The certificate is recorded and nothing is lost: send the same request
again after that many seconds (the same key, a fresh signature) and it answers 200; if the next
deadline sweep started the lifecycle first, the retry answers 409 `AlreadyCompleted`, which
says the same: done.
"""


TEXT_FIELDS = f"""## Request bodies: what is refused before the fields are read

- A POST or PUT must say `Content-Type: application/json` (optionally `; charset=utf-8`):
  anything else is 415 `UnsupportedMediaType`.
- The body is one JSON object, strict JSON (no `NaN`/`Infinity`), nested at most
  {config.REQUEST_JSON_MAX_DEPTH} levels deep, with no key repeated in any object (a repeated key would
  otherwise be read as its last value) and no integer longer than {config.REQUEST_JSON_MAX_INTEGER_DIGITS} digits:
  422 `ValidationError` otherwise, saying which rule. Every integer field has both bounds
  (below), and so do the path parameters `wave` ({config.WAVE_MIN}-{config.WAVE_MAX}) \
and `sequence` (1-{config.SURVEY_COUNT}).

## Text fields

`full_name`, `actor`, `reason`, `review` and written survey answers are stored NFC-normalised,
with leading and trailing whitespace trimmed. None may contain a control character (Unicode
category Cc: NUL, ESC, ...), a format character (Cf: the right-to-left override, zero-width
characters, the byte order mark), a line or paragraph separator (Zl, Zp), a surrogate,
private-use or unassigned code point; the 422 names the field, the character and its
position (`full_name: character 5 is U+202E RIGHT-TO-LEFT OVERRIDE, a format character (Cf); ...`).
`full_name`, `actor` and `reason` are one line and may not be empty or only whitespace.
`review` and survey answers may hold paragraphs: line feeds and tabs (a CR LF or CR is
stored as a line feed); a review needs {config.REVIEW_MIN_CHARS} characters besides surrounding whitespace, a
survey answer may be empty.
"""


def test_accounts_section() -> str:
    month = 60  # `prakerja local up`'s default --month-seconds
    day = month / 30
    rows = "\n".join(f"| `{a.number}` | {_ACCOUNT_WORDS[a.behaviour]} | {a.outcome} |" for a in ta.TEST_ACCOUNTS)
    return f"""## Test accounts

Where the payment provider is not a real one (`prakerja local up`, `prakerja simulate`,
and the test provider a deployed development stack calls), these payout account numbers
behave the same way on every channel ({", ".join(config.PAYOUT_CHANNELS)}), whoever
registers them with `PUT /participants/{{id}}/payout-account`:

| number | the account | what happens to a payout |
| --- | --- | --- |
{rows}

Any other number is the participant's own verified account (paid), unless the provider is
configured otherwise (one of {", ".join(f"`{b}`" for b in ta.BEHAVIOURS)}: `-c testAccountsOther=...`
on a development stack, `FakeProvider(other_accounts=...)` locally). A failed payout is
paid by the first payout run after the participant registers a number that works; the
participant's `GET /participants/{{id}}` says why in `diagnosis`. A full e-wallet
(`EwalletLimitReached`) is sent again by the first run of the next month (Jakarta time) with
nothing to do; a frozen account or a changed phone number reported only by the transfer waits
{config.ACCOUNT_REJECTION_RETRY_AFTER.days} days before it is sent again; a new payout account ends either wait.

## A whole lifecycle on `prakerja local up`

After the walkthrough above (registration through rating); the times are at `local up`'s
default one month per {month} s (`--month-seconds`), ten times as long at 600:

```bash
python -m prakerja.sign --url $U GET /participants/$P | sh     \
# status, entitlements (due_at, opens_at, expires_at), diagnosis
```

- The first payout is due {config.FIRST_PAYOUT_DELAY.days} programme days after the rating \
(about {config.FIRST_PAYOUT_DELAY.days * day:.0f} s), then one
  every {config.PAYOUT_INTERVAL.days} days (about {month} s): `PAID`, "Berhasil", in `entitlements`.
- Survey *n* opens {", ".join(str(d.days) for d in config.SURVEY_OPENS_AFTER_FIRST_PAYOUT)} \
days after the first monthly payout actually **paid** (not its due date) and stays open
  {config.SURVEY_WINDOW.days} days (`opens_at`, `expires_at`: `null` until a payout is paid, and then no
  survey can expire either). Before that, `POST /participants/$P/surveys/1` is
  refused with 409 `SurveyNotOpen` ("this survey opens on ..."); in the window:
  `python -m prakerja.sign --url $U POST /participants/$P/surveys/1 --body '{{"answers":{{"q1":"ya"}}}}' | sh`
  answers 201, and the next payout run pays Rp{config.SURVEY_PAYMENT_IDR:,}. \
A window that closes unanswered ends as `EXPIRED`.
- When every payout and survey is settled, `waiting_for` is empty and `diagnosis` reads
  `complete: Rp{config.CASH_INCENTIVE_CAP_IDR:,} paid` \
({config.POST_TRAINING_PAYOUT_COUNT} x Rp{config.POST_TRAINING_PAYOUT_IDR:,} \
+ {config.SURVEY_COUNT} x Rp{config.SURVEY_PAYMENT_IDR:,}).

The AWS endpoint `local up` prints answers the stock AWS CLI (any credentials), e.g.
`aws --endpoint-url http://127.0.0.1:5000 --region ap-southeast-3 stepfunctions describe-execution \
--execution-arn <execution_arn>`.
"""


_ACCOUNT_WORDS = {
    "own_verified": "the participant's own, KYC-verified, active account",
    "not_verified": "the participant's own, not KYC-verified",
    "someone_else": "in someone else's name",
    "inactive": "the participant's own, inactive",
    "times_out": "a good account; the provider's answer to the transfer never arrives in time",
    "provider_rejects": "a good account; the provider rejects the transfer",
    "not_found": "does not exist",
    "frozen": "the participant's own, frozen by the bank or e-wallet (the inquiry and the transfer say so)",
    "number_changed": "the participant's e-wallet, moved to a new phone number (the inquiry says so)",
    "limit_reached": "a good account whose e-wallet balance or monthly limit is full: every transfer is rejected",
}


def payment_words_section() -> str:
    """GET /participants/{id}'s words for each payment (domain/status_words.py)."""
    from prakerja_flow.domain import status_words

    lines = [
        "## Payment status in the programme's words",
        "",
        "Each entry of `entitlements` in `GET /participants/{id}` carries `status` (the code), `label`",
        "(the portal's word, Bahasa Indonesia), `status_text` (`{id, en}`) and, when it is `FAILED`,",
        "`reason` (`{code, id, en}`: why, and what the participant can do; `null` otherwise).",
        "",
        "| status | label | English |",
        "| --- | --- | --- |",
        *(f"| `{k}` | {w.id} | {w.en} |" for k, w in status_words.STATUS.items()),
        "",
        "| reason code | id | en |",
        "| --- | --- | --- |",
        *(f"| `{k}` | {w.id} | {w.en} |" for k, w in status_words.REASONS.items()),
        "",
    ]
    return "\n".join(lines)


def markdown(spec: dict) -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the code by `python -m prakerja.api_docs` (do not edit by hand).",
        "The machine-readable spec is [openapi.json](openapi.json).",
        "",
        'Every error has one shape: `{"error": {"code": "...", "message": "...", "request_id": "..."}}`.',
        "Money is integer rupiah (`*_idr`); floats and numeric strings are refused.",
        "",
        "Locally, `prakerja local up` also serves this spec at `/openapi.json` and Swagger UI at `/swagger`.",
        "",
        SIGNING,
        TEXT_FIELDS,
        test_accounts_section(),
        payment_words_section(),
        "## Routes",
        "",
        "| method | path | tag | who may call | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, operations in sorted(spec["paths"].items()):
        for method, op in sorted(operations.items()):
            who = _principals(routes.by_path(method, path))
            lines.append(
                f"| {method.upper()} | `{path}` | {', '.join(op.get('tags', []))} | {who} | {op.get('summary', '')} |"
            )
    lines += ["", "## Request bodies", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        if name in ("HTTPValidationError", "ValidationError") or "properties" not in schema:
            continue
        lines += [f"### {name}", "", "| field | type | required | constraints |", "| --- | --- | --- | --- |"]
        required = set(schema.get("required", []))
        for field, prop in schema["properties"].items():
            kind = (
                prop.get("type")
                or " or ".join(p.get("type", p.get("$ref", "?").split("/")[-1]) for p in prop.get("anyOf", []))
                or prop.get("$ref", "").split("/")[-1]
            )
            bounds = ", ".join(
                f"{k}={v}"
                for k, v in prop.items()
                if k
                in (
                    "minimum",
                    "maximum",
                    "exclusiveMinimum",
                    "minLength",
                    "maxLength",
                    "pattern",
                    "enum",
                    "minItems",
                    "maxItems",
                )
            )
            lines.append(
                f"| `{field}` | {kind} | {'yes' if field in required else 'no'} | {bounds.replace('|', '&#124;')} |"
            )
        lines.append("")
    lines += [
        "## Error codes",
        "",
        'Every 4xx/5xx body is `{"error": {"code", "message", "request_id"}}` with one of these codes.',
        "",
        "| code | HTTP status | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{code}` | {status} | {what} |" for code, status, what in error_catalogue()]
    return "\n".join(lines) + "\n"


def render() -> tuple[str, str]:
    spec = openapi()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n", markdown(spec)


def main() -> int:
    spec_text, md_text = render()
    OPENAPI_PATH.write_text(spec_text, encoding="utf-8")
    MARKDOWN_PATH.write_text(md_text, encoding="utf-8")
    print(
        f"wrote {OPENAPI_PATH.relative_to(catalogue.PROJECT_ROOT)} "
        f"and {MARKDOWN_PATH.relative_to(catalogue.PROJECT_ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
