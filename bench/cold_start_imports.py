"""Cold start: import time of every Lambda handler module vs boto3 alone.

Each module is imported in a fresh interpreter (cwd functions/), median of --repeat
rounds; a round imports boto3 and every module once, so load on the (shared) machine hits
all of them alike. Two figures per import: the CPU time of the `import` statement (the
verdict: it barely moves with other load) and `python -X importtime`'s wall-clock sum of
the top-level entries the import adds beyond an empty interpreter's. Target (issue 7):
under 1.3x boto3's import time.

The interpreters get the environment a deployed function has at init: the CDK stack's
variables (catalogue.function_environment + POWERTOOLS_LOG_LEVEL, infra/stacks/workflow.py)
and the Lambda runtime's own (LAMBDA_TASK_ROOT, AWS_REGION, ...). So tracing is ON, as
in AWS (Tracing.ACTIVE, no POWERTOOLS_TRACE_DISABLED): Powertools builds the X-Ray
recorder and patches botocore during the import. A second table sets
POWERTOOLS_TRACE_DISABLED=true (what tracing switched off would give, and what the local
runtime runs with).

Usage:  .venv/bin/python bench/cold_start_imports.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
sys.path.insert(0, str(FUNCTIONS))

from prakerja_flow import catalogue  # noqa: E402

HANDLER_MODULES = list(dict.fromkeys(spec.handler.rsplit(".", 1)[0] for spec in catalogue.FUNCTIONS))
BASELINE = "boto3"

# What the Lambda python3.13 runtime sets before it imports the handler (not per invocation).
LAMBDA_RUNTIME_ENV = {
    "LAMBDA_TASK_ROOT": str(FUNCTIONS),
    "AWS_LAMBDA_FUNCTION_NAME": "prakerja-bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_REGION": "ap-southeast-3",
    "AWS_DEFAULT_REGION": "ap-southeast-3",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
}


# Dev-only packages (pyproject `dev`/`local`: moto, schemathesis) that X-Ray's patch_all
# would import and patch; the deployed function has none of them (Lambda runtime + the
# Powertools layer), so each interpreter starts with them made unimportable.
NOT_DEPLOYED = (
    "requests",
    "httpx",
    "aiobotocore",
    "pynamodb",
    "pymongo",
    "pymysql",
    "psycopg",
    "psycopg2",
    "pg8000",
    "sqlalchemy",
    "mysql",
)
PRELUDE = f"import sys, time; sys.modules.update(dict.fromkeys({NOT_DEPLOYED!r}))\n"


def lambda_environment(tracing: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_"))}
    env.update(LAMBDA_RUNTIME_ENV)
    env.update(
        catalogue.function_environment(
            table_name="prakerja-bench",
            state_machine="arn:aws:states:ap-southeast-3:123456789012:stateMachine:bench",
            payment_provider="http",
        )
    )
    env["POWERTOOLS_LOG_LEVEL"] = "INFO"
    # The asset ships no __pycache__ (infra ASSET_EXCLUDES) and /var/task is read-only: the
    # project's own modules are compiled at every cold start, so they are here too.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def _run(module: str | None, env: dict[str, str]) -> tuple[list[tuple[int, str, int]], int]:
    """One fresh interpreter: (depth, module, cumulative us) for every line of the importtime
    report, and the CPU time (us) of the `import <module>` statement."""
    code = PRELUDE + "t = time.process_time()\n" + (f"import {module}\n" if module else "")
    code += "print(round((time.process_time() - t) * 1e6))"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=FUNCTIONS,
        env=env,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if cumulative.strip().isdigit():
            rows.append(((len(name) - len(name.lstrip()) - 1) // 2, name.strip(), int(cumulative)))
    return rows, int(out.stdout)


def measure(modules: list[str], env: dict[str, str], repeat: int) -> dict[str, list[tuple[int, int]]]:
    """Per module and round: (importtime us, CPU us). importtime is the sum of the
    top-level entries `import <module>` adds beyond an empty interpreter's."""
    samples: dict[str, list[tuple[int, int]]] = {m: [] for m in modules}
    for _ in range(repeat):
        baseline = {name for depth, name, _ in _run(None, env)[0] if depth == 0}
        for module in modules:
            rows, cpu_us = _run(module, env)
            wall_us = sum(us for depth, name, us in rows if depth == 0 and name not in baseline)
            samples[module].append((wall_us, cpu_us))
    return samples


def direct_imports(module: str, env: dict[str, str], n: int = 6, runs: int = 3) -> list[tuple[str, float]]:
    """The module's own import statements by cumulative importtime (median of `runs`): what
    each line of the handler costs, shared dependencies counted where first imported."""
    seen: dict[str, list[int]] = {}
    for _ in range(runs):
        children: list[tuple[str, int]] = []  # the report lists children before their parent
        for depth, name, us in _run(module, env)[0]:
            if depth == 1:
                children.append((name, us))
            elif depth == 0:
                if name == module:
                    for child, child_us in children:
                        seen.setdefault(child, []).append(child_us)
                children = []
    return sorted(((name, statistics.median(us)) for name, us in seen.items()), key=lambda r: -r[1])[:n]


def report(title: str, samples: dict[str, list[tuple[int, int]]]) -> None:
    """The verdict is on CPU time: on a shared machine the wall-clock importtime of one
    module varies by 2x between rounds, its CPU time by a few per cent."""
    cpu = {m: statistics.median(c for _, c in runs) for m, runs in samples.items()}
    wall = {m: statistics.median(w for w, _ in runs) for m, runs in samples.items()}
    print(title)
    print(f"  {'module':36s} {'CPU':>9s} {'ratio':>6s}   {'importtime':>10s} {'ratio':>6s}")
    for module in samples:
        ratio = cpu[module] / cpu[BASELINE]
        verdict = "" if module == BASELINE else ("  meets < 1.3x" if ratio < 1.3 else "  MISSES < 1.3x")
        print(
            f"  {module:36s} {cpu[module] / 1000:6.1f} ms {ratio:5.2f}x   {wall[module] / 1000:7.1f} ms"
            f" {wall[module] / wall[BASELINE]:5.2f}x{verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    modules = [BASELINE, *HANDLER_MODULES]
    traced, untraced = lambda_environment(tracing=True), lambda_environment(tracing=False)
    if any(FUNCTIONS.rglob("__pycache__")):
        print("WARNING: functions/ holds __pycache__ (Lambda has none): the project's modules will look cheaper")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start;"
        f" median of {args.repeat} rounds of fresh interpreters; ratio = x boto3's"
    )
    report("Lambda environment, tracing on (as deployed):", measure(modules, traced, args.repeat))
    report("Lambda environment, POWERTOOLS_TRACE_DISABLED=true:", measure(modules, untraced, args.repeat))
    print(
        "each handler's direct imports, tracing on "
        "(importtime ms, median of 3; shared dependencies counted where first imported):"
    )
    for module in HANDLER_MODULES:
        print(f"  {module}: " + ", ".join(f"{n} {us / 1000:.0f}" for n, us in direct_imports(module, traced)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
