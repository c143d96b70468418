"""MiniStack for the deployed suite: started on a free loopback port from the Python 3.13
virtualenv scripts/setup.sh builds (so the functions run on the Lambda runtime's version),
bootstrapped and deployed into with the pinned CDK CLI, exactly as docs/deploy.md deploys
to AWS, plus the emulator flags (infra/emulator.py). Stopped again with everything it
started (its Lambda workers are in its process group)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import requests

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_DIR = ROOT / ".emulator"
MINISTACK_PYTHON = EMULATOR_DIR / "ministack" / "bin" / "python"
LAMBDA_VENV = EMULATOR_DIR / "lambda"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "000000000000"  # MiniStack: a 12-digit access key id is the account
REGION = "ap-southeast-3"
ENV_NAME = "dev"
LAYER_NAME = "prakerja-flow-dependencies"
SETUP_HINT = "run ./scripts/setup.sh (it builds .emulator/ and node_modules/)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise RuntimeError(f"{venv} is not a virtualenv; {SETUP_HINT}")
    return found[0]


# What the Lambda Python runtime itself provides (its AWS SDK and what that needs), so not
# in the layer, as not in AWS's Powertools layer: scripts/setup.sh installs the pinned
# boto3 beside MiniStack, whose interpreter runs the functions.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "six", "urllib3")


def layer_zip() -> Path:
    """The functions' dependencies layer, zipped from the runtime virtualenv (only the
    declared runtime dependencies, less what the runtime provides): what the managed
    Powertools layer stands for in AWS.
    Its bytecode is compiled with unchecked hashes, as an unzipped layer's file times say
    nothing: otherwise every cold start would compile the dependencies again."""
    requirements = (LAMBDA_VENV / ".requirements").read_text()
    fingerprint = hashlib.sha256((requirements + repr(RUNTIME_PROVIDED)).encode()).hexdigest()[:12]
    path = EMULATOR_DIR / f"layer-{fingerprint}.zip"
    if path.exists():
        return path
    packages = site_packages(LAMBDA_VENV)
    subprocess.run(
        [
            str(LAMBDA_VENV / "bin" / "python"),
            "-m",
            "compileall",
            "-q",
            "-f",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(packages),
        ],
        check=True,
    )
    skip = ("pip", "setuptools", "_distutils_hack", "pkg_resources", *RUNTIME_PROVIDED)
    partial = path.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for file in sorted(packages.rglob("*")):
            relative = file.relative_to(packages)
            if file.is_dir() or relative.parts[0].split("-")[0].removesuffix(".py") in skip:
                continue
            zf.write(file, Path("python") / relative)
    partial.rename(path)
    return path


@dataclass
class MiniStack:
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def scratch(self) -> Path:
        return self.log_dir / "tmp"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def aws_env(self) -> dict[str, str]:
        """What a client of this MiniStack needs (the CDK CLI, boto3 in this process)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCOUNT,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self, service: str):
        env = self.aws_env()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    # --- the process --------------------------------------------------------------------

    def start(self, timeout: float = 60) -> MiniStack:
        for needed in (MINISTACK_PYTHON, CDK, LAMBDA_VENV / ".requirements"):
            if not needed.exists():
                raise RuntimeError(f"{needed} is missing; {SETUP_HINT}")
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "MOTO"))}
        env.update(
            {
                "GATEWAY_PORT": str(self.port),
                "BIND_HOST": "127.0.0.1",  # loopback only
                "MINISTACK_HOST": "127.0.0.1",
                "MINISTACK_REGION": REGION,
                "SFTP_ENABLED": "0",  # its other listeners (Transfer Family SFTP, IoT MQTT) stay off
                "IOT_MTLS_ENABLED": "0",
                "LOG_LEVEL": "WARNING",
                "PYTHONDONTWRITEBYTECODE": "1",
                # Each Lambda worker unzips its code and layer into a temporary folder that
                # MiniStack leaves behind when it is stopped: keep them where stop() removes them.
                "TMPDIR": str(self.scratch),
            }
        )
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / "ministack.log", "w")  # noqa: SIM115 (kept open for the child)
        self.process = subprocess.Popen(
            [str(MINISTACK_PYTHON), "-m", "ministack"],
            cwd=self.log_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"MiniStack exited with {self.process.returncode}; see {self.log_dir / 'ministack.log'}"
                )
            try:
                if requests.get(f"{self.endpoint}/_ministack/health", timeout=1).ok:
                    self.timings["start"] = time.monotonic() - started
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"MiniStack did not answer on {self.endpoint} within {timeout}s")

    def stop(self) -> None:
        """Ends MiniStack and the Lambda workers it started (its own process group), and
        removes their unzipped code."""
        if self.process is None:
            return
        started = time.monotonic()
        if self.process.poll() is None:
            try:
                # Nothing of its state is kept: no need to wait for a graceful shutdown for long.
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:  # MiniStack if it is still shutting down, and its workers
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - started

    # --- deploying the app ------------------------------------------------------------------

    def _cdk_start(self, args: list[str], cwd: Path, log_name: str) -> tuple[subprocess.Popen, list[str], Path]:
        env = {
            **os.environ,
            **self.aws_env(),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "NODE_NO_WARNINGS": "1",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT)]),
        }
        log_path = self.log_dir / log_name
        with open(log_path, "w") as log:
            return (
                subprocess.Popen([str(CDK), *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT),
                args,
                log_path,
            )

    @staticmethod
    def _cdk_wait(started: tuple[subprocess.Popen, list[str], Path], timeout: float = 600) -> None:
        process, args, log_path = started
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise RuntimeError(f"cdk {args[0]} took more than {timeout}s; {log_path}") from None
        if code != 0:
            raise RuntimeError(f"cdk {args[0]} failed ({code}); {log_path}:\n{log_path.read_text()[-3000:]}")

    def publish_layer(self) -> str:
        started = time.monotonic()
        data = layer_zip().read_bytes()
        arn = self.client("lambda").publish_layer_version(
            LayerName=LAYER_NAME,
            Content={"ZipFile": data},
            CompatibleRuntimes=["python3.13"],
            Description="the declared runtime dependencies (pyproject), built by scripts/setup.sh",
        )["LayerVersionArn"]
        self.timings["layer"] = time.monotonic() - started
        return arn

    def deploy(self) -> None:
        """`cdk bootstrap` and `cdk deploy --all` of the real app (env dev: with its test
        payment provider), with MiniStack's gaps worked round (infra/emulator.py). The
        synthesis (which needs no AWS) runs while the environment is bootstrapped."""
        started = time.monotonic()
        layer = self.publish_layer()
        assembly = self.log_dir / "cdk.out"
        synth = self._cdk_start(
            [
                "synth",
                "--quiet",
                "--app",
                f"{sys.executable} infra/app.py",
                "--output",
                str(assembly),
                "-c",
                f"env={ENV_NAME}",
                "-c",
                "emulator=ministack",
                "-c",
                f"emulatorEndpoint={self.endpoint}",
                "-c",
                f"powertoolsLayerArn={layer}",
                # The suite moves the functions' clock forward to open survey windows.
                "-c",
                "programmeClock=true",
            ],
            cwd=ROOT,
            log_name="cdk-synth.log",
        )
        # Bootstrapping needs no app: run it where there is no cdk.json.
        self._cdk_wait(
            self._cdk_start(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], cwd=self.log_dir, log_name="cdk-bootstrap.log")
        )
        self.timings["bootstrap"] = time.monotonic() - started
        self._cdk_wait(synth)
        self.timings["synth"] = time.monotonic() - started
        started = time.monotonic()
        self._cdk_wait(
            self._cdk_start(
                ["deploy", "--all", "--require-approval", "never", "--progress", "events", "--app", str(assembly)],
                cwd=ROOT,
                log_name="cdk-deploy.log",
            )
        )
        self.timings["deploy"] = time.monotonic() - started

    def api_base(self, api_url: str) -> str:
        """The API stage as MiniStack serves it: <endpoint>/_aws/execute-api/<api id>/<stage>
        (ApiUrl is https://<api id>.execute-api.<region>.amazonaws.com/<stage>/)."""
        parts = urlsplit(api_url)
        return f"{self.endpoint}/_aws/execute-api/{parts.hostname.split('.')[0]}/{parts.path.strip('/')}"

    def describe(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, **{k: round(v, 1) for k, v in self.timings.items()}}


def port_of(endpoint: str) -> int:
    parts = urlsplit(endpoint)
    if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        raise ValueError(f"MiniStack runs on loopback here: http://127.0.0.1:<port>, not {endpoint!r}")
    return parts.port


def load_outputs(cloudformation, env_name: str) -> dict[str, str]:
    """Every output of the environment's stacks, by output key."""
    outputs: dict[str, str] = {}
    for stack in cloudformation.describe_stacks()["Stacks"]:
        if stack["StackName"].startswith(f"{env_name}-prakerja-flow-"):
            for output in stack.get("Outputs", []):
                outputs[output["OutputKey"]] = output["OutputValue"]
    return outputs


def dump(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def main(argv: list[str]) -> int:
    """`python tests/support/ministack_deploy.py publish-layer`: publishes the dependencies layer
    into the MiniStack at $AWS_ENDPOINT_URL and prints its ARN (docs/deploy.md)."""
    if argv != ["publish-layer"] or not os.environ.get("AWS_ENDPOINT_URL"):
        print(
            "usage: AWS_ENDPOINT_URL=http://127.0.0.1:<port> python tests/support/ministack_deploy.py publish-layer",
            file=sys.stderr,
        )
        return 2
    stack = MiniStack(EMULATOR_DIR, port=port_of(os.environ["AWS_ENDPOINT_URL"]))
    print(stack.publish_layer())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
