"""docs/openapi.json and docs/api.md, generated from the code (the Powertools resolver
and the error classes). `python -m prakerja.api_docs` rewrites them; a test fails
when the committed files drift from the code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prakerja_flow import catalogue

DOCS = catalogue.PROJECT_ROOT / "docs"
OPENAPI_PATH = DOCS / "openapi.json"
MARKDOWN_PATH = DOCS / "api.md"


def openapi() -> dict:
    from prakerja_flow.handlers.api import app

    return json.loads(app.get_openapi_json_schema(title="Prakerja Flow API", version="1.0.0"))


def error_catalogue() -> list[tuple[str, int]]:
    from prakerja_flow.domain import errors

    found = {cls.__name__: cls.http_status for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.DomainError) and cls is not errors.DomainError}
    found.update({"ValidationError": 422, "RouteNotFound": 404, "PayloadTooLarge": 413, "InternalError": 500})
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def markdown(spec: dict) -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the code by `python -m prakerja.api_docs` (do not edit by hand).",
        "The machine-readable spec is [openapi.json](openapi.json).",
        "",
        "Every error has one shape: `{\"error\": {\"code\": \"...\", \"message\": \"...\", \"request_id\": \"...\"}}`.",
        "Money is integer rupiah (`*_idr`); floats and numeric strings are refused.",
        "",
        "## Routes",
        "",
        "| method | path | tag | summary |",
        "| --- | --- | --- | --- |",
    ]
    for path, operations in sorted(spec["paths"].items()):
        for method, op in sorted(operations.items()):
            lines.append(f"| {method.upper()} | `{path}` | {', '.join(op.get('tags', []))} | {op.get('summary', '')} |")
    lines += ["", "## Request bodies", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        if name in ("HTTPValidationError", "ValidationError") or "properties" not in schema:
            continue
        lines += [f"### {name}", "", "| field | type | required | constraints |", "| --- | --- | --- | --- |"]
        required = set(schema.get("required", []))
        for field, prop in schema["properties"].items():
            kind = prop.get("type") or " or ".join(p.get("type", p.get("$ref", "?").split("/")[-1]) for p in prop.get("anyOf", [])) or prop.get("$ref", "").split("/")[-1]
            bounds = ", ".join(f"{k}={v}" for k, v in prop.items() if k in ("minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "pattern", "enum", "minItems", "maxItems"))
            lines.append(f"| `{field}` | {kind} | {'yes' if field in required else 'no'} | {bounds.replace('|', '&#124;')} |")
        lines.append("")
    lines += ["## Error codes", "", "| code | HTTP status |", "| --- | --- |"]
    lines += [f"| `{code}` | {status} |" for code, status in error_catalogue()]
    return "\n".join(lines) + "\n"


def render() -> tuple[str, str]:
    spec = openapi()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n", markdown(spec)


def main() -> int:
    spec_text, md_text = render()
    OPENAPI_PATH.write_text(spec_text, encoding="utf-8")
    MARKDOWN_PATH.write_text(md_text, encoding="utf-8")
    print(f"wrote {OPENAPI_PATH.relative_to(catalogue.PROJECT_ROOT)} and {MARKDOWN_PATH.relative_to(catalogue.PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
