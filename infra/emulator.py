"""MiniStack's gaps, worked round for emulator deploys only.

Applied when, and only when, the app is synthesized with `-c emulator=ministack
-c emulatorEndpoint=http://127.0.0.1:<port>` (tests/deployed does; docs/deploy.md shows
it): the synthesized templates are rewritten in the cloud assembly after synthesis, so
the app itself, every test of it and every real deploy see the templates unchanged.
Each workaround names the MiniStack (1.5.x) behaviour it covers and does nothing else.

Known gaps that no template change can cover (the deployed suite allows for them):
GATEWAY_RESPONSE_AUTHORIZER_CONTEXT."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CTX_EMULATOR = "emulator"
CTX_ENDPOINT = "emulatorEndpoint"
MINISTACK = "ministack"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

# MiniStack renders $context.requestId in gateway response templates but leaves
# $context.authorizer.* literal: a 403 from the authorizer keeps its status and error
# shape, but its code and message read "$context.authorizer.code".
GATEWAY_RESPONSE_AUTHORIZER_CONTEXT = "gateway responses do not render $context.authorizer.*"


@dataclass(frozen=True)
class Workaround:
    name: str
    ministack_behaviour: str
    rewrite: Callable[[dict, str], dict]


def _walk(node: Any, change: Callable[[Any], Any | None]) -> Any:
    replaced = change(node)
    if replaced is not None:
        return replaced
    if isinstance(node, dict):
        return {k: _walk(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, change) for v in node]
    return node


def _of_type(template: dict, type_: str) -> set[str]:
    return {lid for lid, r in template.get("Resources", {}).items() if r.get("Type") == type_}


def _secret_ref_as_id(template: dict, endpoint: str) -> dict:
    # On AWS, Ref and Fn::GetAtt Id of a secret are both its ARN: the rewrite changes nothing there.
    secrets = _of_type(template, "AWS::SecretsManager::Secret")
    return _walk(
        template,
        lambda n: (
            {"Fn::GetAtt": [n["Ref"], "Id"]}
            if isinstance(n, dict) and set(n) == {"Ref"} and n["Ref"] in secrets
            else None
        ),
    )


def _secret_values_generated(template: dict, endpoint: str) -> dict:
    # GenerateSecretString {} means AWS's defaults (32 characters); said explicitly, MiniStack generates them too.
    for lid in _of_type(template, "AWS::SecretsManager::Secret"):
        props = template["Resources"][lid].setdefault("Properties", {})
        if props.get("GenerateSecretString") == {}:
            props["GenerateSecretString"] = {"PasswordLength": 32}
    return template


def _drop_waf_associations(template: dict, endpoint: str) -> dict:
    gone = _of_type(template, "AWS::WAFv2::WebACLAssociation")
    resources = {lid: r for lid, r in template.get("Resources", {}).items() if lid not in gone}
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in gone]
        elif depends in gone:
            del resource["DependsOn"]
    return {**template, "Resources": resources}


def _function_urls_on_the_gateway(template: dict, endpoint: str) -> dict:
    urls = _of_type(template, "AWS::Lambda::Url")

    def change(node):
        target = node.get("Fn::GetAtt") if isinstance(node, dict) and len(node) == 1 else None
        if isinstance(target, list) and len(target) == 2 and target[0] in urls and target[1] == "FunctionUrl":
            host = {"Fn::Select": [2, {"Fn::Split": ["/", node]}]}  # https://<id>.lambda-url...on.aws/
            url_id = {"Fn::Select": [0, {"Fn::Split": [".", host]}]}
            return {"Fn::Join": ["", [f"{endpoint}/_aws/lambda-url/", url_id, "/"]]}
        return None

    return _walk(template, change)


def _schedules_disabled(template: dict, endpoint: str) -> dict:
    resources = template.get("Resources", {})
    for lid in _of_type(template, "AWS::Scheduler::Schedule"):
        resources[lid]["Properties"]["State"] = "DISABLED"
    return template


WORKAROUNDS: tuple[Workaround, ...] = (
    Workaround(
        "secret-ref-as-id",
        "Ref of an AWS::SecretsManager::Secret returns its name, not its ARN (CDK's "
        "secretName output then fails with 'Fn::Select cannot select nonexistent value at index 6')",
        _secret_ref_as_id,
    ),
    Workaround(
        "secret-values-generated",
        "a secret with GenerateSecretString {} (AWS's defaults, as CDK writes it) "
        "is created with an empty value instead of a generated one",
        _secret_values_generated,
    ),
    Workaround(
        "no-waf-association",
        "AWS::WAFv2::WebACLAssociation is not supported (the web ACL itself is); the API stage is deployed without it",
        _drop_waf_associations,
    ),
    Workaround(
        "function-urls-on-the-gateway",
        "a function URL is reported as https://<id>.lambda-url.<region>.on.aws/, "
        "which does not resolve here; MiniStack serves it at <endpoint>/_aws/lambda-url/<id>/",
        _function_urls_on_the_gateway,
    ),
    Workaround(
        "schedules-disabled",
        "EventBridge Scheduler passes <aws.scheduler.scheduled-time> through literally "
        "instead of substituting the time; the schedules are deployed DISABLED and the deployed suite fires "
        "each one itself from its deployed target and input, with the time substituted",
        _schedules_disabled,
    ),
)
# Not a template rewrite: MiniStack cannot create the public /aws/service/... SSM
# parameters, so emulator deploys must pass -c powertoolsLayerArn (a layer built from the
# declared runtime dependencies, published into MiniStack; tests/deployed does it).
POWERTOOLS_LAYER = "the public SSM parameter /aws/service/powertools/... does not exist: pass -c powertoolsLayerArn"


def check_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint or "")
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or not parts.port or parts.path not in ("", "/"):
        raise ValueError(
            f"-c {CTX_ENDPOINT} must be MiniStack's loopback endpoint, http://127.0.0.1:<port>, not {endpoint!r}"
        )
    return endpoint.rstrip("/")


def settings(context: Callable[[str], Any]) -> str | None:
    """The emulator endpoint when this synthesis is an emulator deploy, else None."""
    emulator = context(CTX_EMULATOR)
    if not emulator:
        return None
    if emulator != MINISTACK:
        raise ValueError(f"-c {CTX_EMULATOR} must be {MINISTACK!r}, not {emulator!r}")
    if not context("powertoolsLayerArn"):
        raise ValueError(f"-c {CTX_EMULATOR}={MINISTACK} needs -c powertoolsLayerArn: {POWERTOOLS_LAYER}")
    return check_endpoint(context(CTX_ENDPOINT))


def rewrite_template(template: dict, endpoint: str) -> dict:
    for workaround in WORKAROUNDS:
        template = workaround.rewrite(template, endpoint)
    return template


def rewrite_assembly(directory: str | Path, endpoint: str) -> list[Path]:
    """Rewrites every stack template of a synthesized cloud assembly in place."""
    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    rewritten = []
    for artifact in manifest["artifacts"].values():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        path = Path(directory) / artifact["properties"]["templateFile"]
        path.write_text(json.dumps(rewrite_template(json.loads(path.read_text()), endpoint), indent=1))
        rewritten.append(path)
    return rewritten
