"""An SVG of the lifecycle state machine, drawn from the ASL file itself (no external
tools): states in layers top to bottom, the path an execution took in blue, its
current state outlined in orange, a failed state filled red."""

from __future__ import annotations

import json
from html import escape
from itertools import pairwise
from pathlib import Path

from prakerja_flow import catalogue

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 190, 36, 30, 34, 40


def transitions(definition: dict) -> list[tuple[str, str, str]]:
    """(from, to, kind) for every Next, Choice, Default and Catch of the top-level states."""
    edges = []
    for name, state in definition["States"].items():
        if state.get("Next"):
            edges.append((name, state["Next"], "next"))
        for choice in state.get("Choices", []):
            edges.append((name, choice["Next"], "choice"))
        if state.get("Default"):
            edges.append((name, state["Default"], "choice"))
        for catch in state.get("Catch", []):
            edges.append((name, catch["Next"], "catch"))
    return list(dict.fromkeys(edges))


def layers(definition: dict, edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Longest-path layering once the loops (edges back to a state on the DFS stack) are set aside."""
    out: dict[str, list[str]] = {name: [] for name in definition["States"]}
    for a, b, _ in edges:
        out[a].append(b)
    back, seen, stack = set(), set(), set()

    def dfs(node: str) -> None:
        seen.add(node)
        stack.add(node)
        for nxt in out[node]:
            if nxt in stack:
                back.add((node, nxt))
            elif nxt not in seen:
                dfs(nxt)
        stack.discard(node)

    dfs(definition["StartAt"])
    for name in definition["States"]:
        if name not in seen:
            dfs(name)
    layer = {name: 0 for name in definition["States"]}
    for _ in range(len(layer)):
        changed = False
        for a, b, _ in edges:
            if (a, b) not in back and layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    return layer


def render(
    path_taken: list[str],
    current: str | None = None,
    failed: str | None = None,
    asl_file: Path = catalogue.LIFECYCLE_ASL,
) -> str:
    definition = json.loads(asl_file.read_text(encoding="utf-8"))
    edges = transitions(definition)
    layer = layers(definition, edges)
    rows: dict[int, list[str]] = {}
    for name in definition["States"]:  # file order within a layer
        rows.setdefault(layer[name], []).append(name)
    widest = max(len(r) for r in rows.values())
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X + 160
    height = MARGIN * 2 + (max(rows) + 1) * (NODE_H + GAP_Y)
    pos: dict[str, tuple[float, float]] = {}
    for depth, names in rows.items():
        row_w = len(names) * NODE_W + (len(names) - 1) * GAP_X
        x0 = (width - 160 - row_w) / 2
        for i, name in enumerate(names):
            pos[name] = (x0 + i * (NODE_W + GAP_X), MARGIN + depth * (NODE_H + GAP_Y))
    taken = set(pairwise(path_taken))
    visited = set(path_taken)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#777"/></marker>'
        '<marker id="arrow-taken" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#1565c0"/></marker></defs>',
        f"<title>{escape(definition.get('Comment', catalogue.STATE_MACHINE_NAME))}</title>",
    ]
    for a, b, kind in edges:
        (ax, ay), (bx, by) = pos[a], pos[b]
        hot = (a, b) in taken
        stroke, marker = ("#1565c0", "arrow-taken") if hot else ("#999", "arrow")
        style = f'stroke="{stroke}" stroke-width="{3 if hot else 1.2}" fill="none" marker-end="url(#{marker})"'
        if kind == "catch":
            style += ' stroke-dasharray="5,4"'
        if by - ay > NODE_H + GAP_Y:  # skips layers: curve out to the left, around the states in between
            sx, sy, ex, ey = ax, ay + NODE_H / 2, bx + NODE_W / 2, by
            bulge = MARGIN / 2 + 6 * ((by - ay) // (NODE_H + GAP_Y) % 4)
            d = f"M{sx:.0f},{sy:.0f} C{bulge:.0f},{sy:.0f} {bulge:.0f},{ey - GAP_Y:.0f} {ex:.0f},{ey:.0f}"
        elif by > ay:  # downwards: straight line bottom -> top
            d = f"M{ax + NODE_W / 2:.0f},{ay + NODE_H:.0f} L{bx + NODE_W / 2:.0f},{by:.0f}"
        else:  # a loop back up (or sideways): curve out to the right
            sx, sy, ex, ey = ax + NODE_W, ay + NODE_H / 2, bx + NODE_W, by + NODE_H / 2
            bulge = max(sx, ex) + 40 + 10 * abs(ay - by) / (NODE_H + GAP_Y)
            d = f"M{sx:.0f},{sy:.0f} C{bulge:.0f},{sy:.0f} {bulge:.0f},{ey:.0f} {ex:.0f},{ey:.0f}"
        parts.append(
            f'<path class="edge{" taken" if hot else ""}" data-from="{escape(a)}" data-to="{escape(b)}" '
            f'd="{d}" {style}/>'
        )
    for name, state in definition["States"].items():
        x, y = pos[name]
        fill, stroke, sw = "#ffffff", "#555", 1.2
        classes = ["state"]
        if name in visited:
            fill, stroke, sw = "#bbdefb", "#1565c0", 2
            classes.append("visited")
        if name == current:
            stroke, sw = "#ef6c00", 4
            classes.append("current")
        if name == failed:
            fill, stroke, sw = "#ef9a9a", "#b71c1c", 4
            classes.append("failed")
        rx = 18 if state["Type"] in ("Succeed", "Fail") else 4
        parts.append(
            f'<g class="{" ".join(classes)}" data-state="{escape(name)}">'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
            f'<text x="{x + NODE_W / 2:.0f}" y="{y + NODE_H / 2 + 4:.0f}" text-anchor="middle">'
            f"{escape(name)}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
