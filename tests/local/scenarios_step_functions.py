"""Step Functions and Lambda scenarios of the moto-patch equivalence tests, and a small
world with a task-token wait for the fidelity tests."""

from __future__ import annotations

import json
import threading
import time

import boto3

from prakerja.local import invoker
from prakerja.local.cloud import REGION

_attempts: dict[str, int] = {}
_attempts_lock = threading.Lock()


class Flaky(Exception):
    pass


def flaky(event, context):
    """Fails the first time for each execution, then answers."""
    with _attempts_lock:
        _attempts[event["run"]] = _attempts.get(event["run"], 0) + 1
        attempt = _attempts[event["run"]]
    if attempt == 1:
        raise Flaky(f"first attempt of {event['run']}")
    return {"attempt": attempt, "items": [{"n": i} for i in range(3)], "text": "é"}


def double(event, context):
    if event.get("n") == 2 and event.get("fail"):
        raise ValueError("two is refused")
    return {"doubled": 2 * event["n"]}


def waiter(event, context):
    _tokens.append((event["run"], event["token"]))
    return {"stored": True}


_tokens: list[tuple[str, str]] = []

HANDLERS = {
    "flaky": "scenarios_step_functions.flaky",
    "double": "scenarios_step_functions.double",
    "waiter": "scenarios_step_functions.waiter",
}


def definition(arns: dict[str, str]) -> str:
    retry = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}]
    return json.dumps(
        {
            "StartAt": "Start",
            "States": {
                "Start": {"Type": "Pass", "Parameters": {"run.$": "$.run", "fail.$": "$.fail"}, "Next": "Flaky"},
                "Flaky": {
                    "Type": "Task",
                    "Resource": arns["flaky"],
                    "Retry": retry,
                    "ResultPath": "$.flaky",
                    "Next": "Each",
                },
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.flaky.items",
                    "MaxConcurrency": 1,
                    "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "fail.$": "$.fail"},
                    "ItemProcessor": {
                        "StartAt": "Double",
                        "States": {
                            "Double": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": arns["double"], "Payload.$": "$"},
                                "ResultSelector": {"value.$": "$.Payload.doubled"},
                                "End": True,
                            }
                        },
                    },
                    "ResultPath": "$.doubled",
                    "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.caught", "Next": "Refused"}],
                    "Next": "Wait",
                },
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": arns["waiter"],
                        "Payload": {"run.$": "$.run", "token.$": "$$.Task.Token"},
                    },
                    "ResultPath": "$.resumed",
                    "Next": "Which",
                },
                "Which": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.resumed.ok", "BooleanEquals": True, "Next": "Done"}],
                    "Default": "Refused",
                },
                "Done": {"Type": "Succeed"},
                "Refused": {"Type": "Fail", "Error": "Refused", "Cause": "not resumed with ok"},
            },
        }
    )


def run(call) -> None:
    """Two executions of one definition at once (Retry, inline Map with lambda:invoke and
    ResultSelector, Catch, waitForTaskToken resumed from outside, Choice), a Lambda
    invoked directly (an answer, a function error, an unknown function), the reads an
    operator makes, and machines created from a definition already parsed and from an
    invalid one."""
    invoker.install()
    _attempts.clear()
    _tokens.clear()
    iam, lam, sfn = call.client("iam"), call.client("lambda"), call.client("stepfunctions")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arns = {}
    for name, handler in HANDLERS.items():
        out = call(
            lam,
            "create_function",
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler=handler,
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )
        arns[name] = out["FunctionArn"]
    call(lam, "invoke", FunctionName="double", Payload=json.dumps({"n": 21}).encode())
    call(lam, "invoke", FunctionName="double", Payload=json.dumps({"n": 2, "fail": True}).encode())
    call(lam, "invoke", FunctionName="nobody", Payload=b"{}")
    machine = call(sfn, "create_state_machine", name="eq", definition=definition(arns), roleArn=role)["stateMachineArn"]
    runs = {"ok": False, "refused": True}
    executions = {
        run: call(
            sfn, "start_execution", stateMachineArn=machine, name=run, input=json.dumps({"run": run, "fail": fail})
        )["executionArn"]
        for run, fail in runs.items()
    }
    _wait(lambda: any(r == "ok" for r, _ in _tokens) and _finished(sfn, executions["refused"]))
    token = next(t for r, t in _tokens if r == "ok")
    call(sfn, "send_task_success", taskToken=token, output=json.dumps({"ok": True}))
    _wait(lambda: _finished(sfn, executions["ok"]))
    call(sfn, "send_task_success", taskToken=token, output=json.dumps({"ok": True}))  # used: refused
    call(sfn, "send_task_failure", taskToken="bogus", error="E", cause="C")
    for arn in executions.values():
        call(sfn, "describe_execution", executionArn=arn)
        call(sfn, "get_execution_history", executionArn=arn)
    call(sfn, "list_executions", stateMachineArn=machine)
    # Creating a machine again from a definition already run, and from an invalid one.
    call(sfn, "create_state_machine", name="eq-again", definition=definition(arns), roleArn=role)
    call(sfn, "create_state_machine", name="bad", definition=json.dumps({"StartAt": "Nowhere"}), roleArn=role)
    call(sfn, "describe_execution", executionArn=machine.replace(":stateMachine:", ":execution:") + ":nobody")


def _finished(sfn, arn: str) -> bool:
    return sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"


def _wait(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class TokenWorld:
    """A state machine that waits for a task token (through the `waiter` function) and
    then succeeds or fails on what it is sent, in the current moto world."""

    WAITING = json.dumps(
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "waiter", "Payload": {"run.$": "$.run", "token.$": "$$.Task.Token"}},
                    "ResultPath": "$.resumed",
                    "Next": "Which",
                },
                "Which": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.resumed.ok", "BooleanEquals": True, "Next": "Done"}],
                    "Default": "Refused",
                },
                "Done": {"Type": "Succeed"},
                "Refused": {"Type": "Fail", "Error": "Refused", "Cause": "resumed without ok"},
            },
        }
    )

    def __init__(self):
        invoker.install()
        _tokens.clear()
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        role = boto3.client("iam", region_name=REGION).create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName="waiter",
            Runtime="python3.13",
            Role=role,
            Handler=HANDLERS["waiter"],
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )
        self.machine = self.sfn.create_state_machine(name="tokens", definition=self.WAITING, roleArn=role)[
            "stateMachineArn"
        ]

    def start(self, run: str) -> str:
        return self.sfn.start_execution(stateMachineArn=self.machine, name=run, input=json.dumps({"run": run}))[
            "executionArn"
        ]

    def token(self, run: str) -> str:
        _wait(lambda: any(r == run for r, _ in _tokens))
        return next(t for r, t in _tokens if r == run)

    def status(self, arn: str) -> str:
        return self.sfn.describe_execution(executionArn=arn)["status"]

    def wait_status(self, arn: str, status: str) -> None:
        _wait(lambda: self.status(arn) == status, timeout=10)

    def backend_execution(self, arn: str):
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends["123456789012"][REGION].describe_execution(arn)
