"""Sign an API request and print it as a curl command (pipe it to `sh` to send it).

    python -m prakerja.sign POST /participants/P1/purchases --body '{"purchase_id": "O1", ...}'
    python -m prakerja.sign --principal portal:web GET /participants/P1 | sh

Local clients (`--principal`, default: the route family's local client) are the ones
`prakerja local up` creates (prakerja/local/credentials.py). For a real key give
`--key-id` and the name of an environment variable holding its secret (`--secret-env`),
never the secret itself on the command line, and `--url` of the deployed stage."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from urllib.parse import parse_qs

from prakerja_flow.auth import signing

from .local import credentials


def curl_command(url: str, method: str, path: str, body: str | None, headers: dict[str, str], query: str = "") -> str:
    parts = ["curl", "-sS", "-X", method.upper(), url.rstrip("/") + path + (f"?{query}" if query else "")]
    for name, value in {"Content-Type": "application/json", **headers}.items():
        parts += ["-H", f"{name}: {value}"]
    if body is not None:
        parts += ["--data-binary", body]
    return shlex.join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prakerja.sign", description="Print a signed curl command")
    parser.add_argument("method")
    parser.add_argument("path", help="path without the stage, e.g. /participants/P1/purchases (may end in ?query)")
    parser.add_argument("--body", help="the exact JSON body to send")
    parser.add_argument("--principal", help="local client, e.g. platform:sekolahmu, portal:web, operator:ops")
    parser.add_argument("--key-id", help="a real client key id (with --secret-env)")
    parser.add_argument("--secret-env", help="environment variable holding that key's secret")
    parser.add_argument("--idempotency-key")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="API base URL (default: prakerja local up)")
    args = parser.parse_args(argv)
    path, _, query = args.path.partition("?")
    if args.key_id:
        secret = os.environ.get(args.secret_env or "")
        if not secret:
            print("prakerja: --key-id needs --secret-env naming a set environment variable", file=sys.stderr)
            return 2
        key_id = args.key_id
    else:
        principal = args.principal or credentials.default_principal(args.method, path)
        if principal is None:
            print(f"prakerja: {args.method} {path} is public or unknown; nothing to sign", file=sys.stderr)
            return 2
        try:
            client = credentials.client(principal)
        except KeyError as error:
            print(f"prakerja: {error.args[0]}", file=sys.stderr)
            return 2
        key_id, secret = client.key_id, client.secret
    headers = signing.sign(
        secret, key_id, args.method, path, args.body, parse_qs(query, keep_blank_values=True), int(time.time())
    )
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    print(curl_command(args.url, args.method, path, args.body, headers, query))
    return 0


if __name__ == "__main__":
    sys.exit(main())
