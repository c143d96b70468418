"""The deployed suite's target: by default the real CDK app deployed into MiniStack for
this session (started on a free loopback port, bootstrapped, deployed with the pinned CDK
CLI, stopped at the end); with PRAKERJA_E2E_TARGET=aws, an environment already deployed
where the AWS credentials point (docs/deploy.md, "End-to-end against AWS").

    PRAKERJA_E2E_TARGET   ministack (default) or aws
    PRAKERJA_E2E_ENV      the environment's name (aws; default dev)
    PRAKERJA_E2E_MINISTACK  the endpoint of a MiniStack you started and deployed into
                          yourself (docs/deploy.md, "Try it on MiniStack"): used as it is,
                          neither deployed into nor stopped
"""

from __future__ import annotations

import os
import secrets
import time

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from support.deployed_target import Target, boto_factory  # noqa: E402
from support.ministack_deploy import ENV_NAME, REGION, MiniStack, dump, load_outputs, port_of  # noqa: E402

from infra import emulator  # noqa: E402

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Target:
    """Module-scoped: the one module that drives it (test_deployed_lifecycle.py) has it for
    as long as it runs, and MiniStack stops right after, not at the end of the session."""
    started = time.monotonic()
    kind = os.environ.get("PRAKERJA_E2E_TARGET", "ministack")
    run_id = secrets.token_hex(4)
    stack = None
    if kind == "ministack":
        existing = os.environ.get("PRAKERJA_E2E_MINISTACK")
        log_dir = tmp_path_factory.mktemp("ministack")
        stack = MiniStack(log_dir, port=port_of(existing)) if existing else MiniStack(log_dir)
        try:
            if not existing:
                stack.start()
                stack.deploy()
            outputs = load_outputs(stack.client("cloudformation"), ENV_NAME)
            deployed = Target(
                "ministack",
                ENV_NAME,
                REGION,
                stack.api_base(outputs["ApiUrl"]),
                outputs,
                stack.client,
                frozenset({emulator.GATEWAY_RESPONSE_AUTHORIZER_CONTEXT}),
                ops_env=stack.aws_env(),
            )
            dump(stack.log_dir / "outputs.json", outputs)
        except BaseException:
            stack.stop()
            raise
        TIMINGS.update({f"ministack {k}": v for k, v in stack.timings.items()})
    elif kind == "aws":
        env_name = os.environ.get("PRAKERJA_E2E_ENV", ENV_NAME)
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION
        make = boto_factory(region)
        outputs = load_outputs(make("cloudformation"), env_name)
        if "ApiUrl" not in outputs:
            pytest.fail(
                f"no deployed environment {env_name!r} in {region}: deploy it first (docs/deploy.md)", pytrace=False
            )
        deployed = Target("aws", env_name, region, outputs["ApiUrl"].rstrip("/"), outputs, make)
    else:
        pytest.fail(f"PRAKERJA_E2E_TARGET must be ministack or aws, not {kind!r}", pytrace=False)
    deployed.create_clients(run_id)
    TIMINGS["deploy (all)"] = time.monotonic() - started
    suite_started = time.monotonic()
    try:
        yield deployed
    finally:
        TIMINGS["suite"] = time.monotonic() - suite_started
        try:
            deployed.delete_clients()
        finally:
            if stack is not None:
                stack.stop()  # a no-op for a MiniStack this session did not start
                if "stop" in stack.timings:
                    TIMINGS["ministack stop"] = stack.timings["stop"]


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"deployed suite: {parts}")
