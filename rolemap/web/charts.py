"""The pictures' geometry, computed on the server: stacked bars, the overlap network, the radar,
the role-map matrix and the outcome bars. Templates draw them as inline SVG; every picture has a
table or list beside it that says the same in text.

Only numbers and names go in; what comes out is plain data (coordinates, sizes, kinds), so the
templates escape every text and no markup is built here.
"""

from __future__ import annotations

import math
from typing import Any

REASON_ORDER = ("capability", "need", "theme", "text", "place", "decision", "complement", "cooling-off")
BAR_WIDTH = 240
"""Pixels for a score of 1.0: a bar is as long as its score."""


def reason_order(kind: str) -> tuple[int, str]:
    return (REASON_ORDER.index(kind) if kind in REASON_ORDER else len(REASON_ORDER), kind)


def stacked_bar(parts: list[tuple[str, float]], width: int = BAR_WIDTH) -> dict[str, Any]:
    """One segment per reason, in the order given, each as wide as its weight: together they are
    as long as the score."""
    x, segments = 0.0, []
    for kind, weight in parts:
        w = max(weight * width, 0.0)
        segments.append({"kind": kind, "x": round(x, 2), "w": round(w, 2), "weight": weight})
        x += w
    return {"width": width, "height": 18, "segments": segments, "length": round(x, 2)}


# Network ------------------------------------------------------------------------------------

NETWORK_SIZE = (1000, 460)


def network(nodes: list[dict[str, Any]], edges: list[tuple[str, str, float, int]]) -> dict[str, Any]:
    """Each group of items joined by overlaps (a connected component) on a circle of its own,
    biggest first, side by side; an edge per pair, wider for a higher score. Deterministic: the
    same pairs always give the same picture."""
    width, height = NETWORK_SIZE
    neighbours: dict[str, set[str]] = {n["id"]: set() for n in nodes}
    for left, right, _, _ in edges:
        neighbours[left].add(right)
        neighbours[right].add(left)
    seen: set[str] = set()
    groups: list[list[str]] = []
    for node in nodes:  # in the order they first appear in the ranking
        if node["id"] in seen:
            continue
        group, todo = [], [node["id"]]
        seen.add(node["id"])
        while todo:
            current = todo.pop(0)
            group.append(current)
            for other in sorted(neighbours[current] - seen):
                seen.add(other)
                todo.append(other)
        groups.append(group)
    groups.sort(key=len, reverse=True)
    shares = [max(len(g), 2) for g in groups]
    at: dict[str, tuple[float, float, float]] = {}
    pad = 150  # the names of the outermost items stay inside the picture
    x0 = float(pad)
    for group, share in zip(groups, shares, strict=True):
        w = (width - 2 * pad) * share / sum(shares)
        cx, cy = x0 + w / 2, height / 2
        radius = max(min(w / 2 - 40, height / 2 - 60), 40)
        for i, node_id in enumerate(group):
            angle = -math.pi / 2 + 2 * math.pi * i / len(group) + (math.pi / 2 if len(group) == 2 else 0)
            r = 0 if len(group) == 1 else radius
            at[node_id] = (cx + math.cos(angle) * r, cy + math.sin(angle) * r, math.cos(angle))
        x0 += w
    placed = []
    for node in nodes:
        x, y, cos = at[node["id"]]
        lines = wrapped(node["name"], 26)
        if abs(cos) < 0.3:  # at the top or the bottom: the name above or below, centred
            anchor, label_x = "middle", x
            label_y = y - 14 - (len(lines) - 1) * 14 if y < height / 2 else y + 24
        else:
            anchor = "start" if cos > 0 else "end"
            label_x = x + (12 if cos > 0 else -12)
            label_y = y + 4 - (len(lines) - 1) * 7
        placed.append(
            {
                **node,
                "x": round(x, 1),
                "y": round(y, 1),
                "anchor": anchor,
                "label_x": round(label_x, 1),
                "label_y": round(label_y, 1),
                "lines": lines,
            }
        )
    lines_ = []
    for left, right, score, rank in edges:
        (x1, y1, _), (x2, y2, _) = at[left], at[right]
        lines_.append(
            {
                "x1": round(x1, 1),
                "y1": round(y1, 1),
                "x2": round(x2, 1),
                "y2": round(y2, 1),
                "width": round(1 + score * 8, 1),
                "rank": rank,
                "score": score,
            }
        )
    return {"width": width, "height": height, "nodes": placed, "edges": lines_}


# Radar --------------------------------------------------------------------------------------

RINGS_INSIDE_OUT = ("ADOPT", "TRIAL", "WATCH", "EXCLUDE")
RADAR_SIZE = 520


def radar(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Four rings, ADOPT in the middle and EXCLUDE outside; each capability with a ring is a
    numbered dot in it, spread evenly around, on alternating tracks so neighbours do not touch. A
    capability with no stance yet but a suggestion from decisions is a hollow dot in that ring."""
    size = RADAR_SIZE
    centre = size / 2
    bands = {"ADOPT": (0, 70), "TRIAL": (70, 140), "WATCH": (140, 200), "EXCLUDE": (200, 250)}
    rings = [
        {"ring": ring, "r": bands[ring][1], "label_y": centre - bands[ring][1] + 16}
        for ring in reversed(RINGS_INSIDE_OUT)
    ]
    dots = []
    for r_index, ring in enumerate(RINGS_INSIDE_OUT):
        inner, outer = bands[ring]
        placed = [i for i in items if (i["ring"] or i["suggested"]) == ring]
        count = len(placed)
        for j, item in enumerate(placed):
            angle = 2 * math.pi * (j + 0.5) / max(count, 1) + r_index * 0.7 + 0.35
            if ring == "ADOPT" and count == 1:
                radius = 30.0
            else:
                tracks = 3 if count > 12 else 2 if count > 5 else 1
                share = (j % tracks + 1) / (tracks + 1)
                radius = (
                    inner + 14 + (outer - inner - 28) * share if outer - inner > 28 else (inner + outer) / 2
                )
            x, y = centre + math.cos(angle) * radius, centre + math.sin(angle) * radius
            dots.append(
                {
                    **item,
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "label_x": round(x + (15 if x >= centre else -15), 1),
                    "label_anchor": "start" if x >= centre else "end",
                    "lines": wrapped(item["capability"]["name"], 24),
                    "placed_ring": ring,
                }
            )
    return {"size": size, "centre": centre, "rings": rings, "dots": dots}


# Role map -----------------------------------------------------------------------------------

CELL = 28
ROLE_GLYPH = {"IN_USE": "U", "PILOTING": "P", "OFFERED": "O"}
OUTCOME_GLYPH = {"DEVELOP": "D+", "LEARNED": "D=", "DROP": "D−"}


def glyph(role: str, outcome: str | None) -> str:
    """What a cell shows besides its colour (colour is never the only sign)."""
    return OUTCOME_GLYPH.get(outcome or "", "D") if role == "DECIDED" else ROLE_GLYPH[role]


def role_matrix(rows: list[dict[str, Any]], columns: list[dict[str, Any]]) -> dict[str, Any]:
    """Capabilities down, vendors across; only the cells that exist are drawn, so the picture
    costs what the role map has, not rows × vendors."""
    longest_row = max((len(_short(r["capability"]["name"], 34)) for r in rows), default=10)
    longest_col = max((len(_short(c["name"], 28)) for c in columns), default=10)
    label_w = min(40 + longest_row * 7, 300) + 100  # the name, then the stance badge
    header_h = min(20 + longest_col * 5.2, 170)
    width = label_w + len(columns) * CELL + 120
    height = header_h + len(rows) * CELL + 10
    cols = [
        {**c, "x": label_w + j * CELL + CELL / 2, "short": _short(c["name"], 28)}
        for j, c in enumerate(columns)
    ]
    lines = []
    cells = []
    for i, row in enumerate(rows):
        y = header_h + i * CELL
        lines.append(
            {"y": y, "short": _short(row["capability"]["name"], 34), "row": row, "stance_x": label_w - 96}
        )
        for cell in row["cells"]:
            cells.append(
                {
                    **cell,
                    "x": label_w + cell["column"] * CELL,
                    "y": y,
                    "glyph": glyph(cell["role"], cell["outcome"]),
                    "capability": row["capability"]["name"],
                }
            )
    return {
        "width": round(width),
        "height": round(height),
        "cell": CELL,
        "label_w": label_w,
        "header_h": round(header_h),
        "columns": cols,
        "rows": lines,
        "cells": cells,
    }


def wrapped(text: str, width: int = 24) -> list[str]:
    """A label in at most two lines of about `width` characters, every word kept (a label is a
    link's name: it must show all of it)."""
    first, rest = "", text.split()
    while rest and (not first or len(first) + 1 + len(rest[0]) <= width):
        first = f"{first} {rest.pop(0)}".strip()
    return [first, " ".join(rest)] if rest else [first]


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


# Outcome bars -------------------------------------------------------------------------------


def outcome_bars(rows: list[dict[str, Any]], segments: tuple[str, ...], width: int = 360) -> dict[str, Any]:
    """One bar per group, as long as its pilots, split into in progress, awaiting and the decided
    ones by outcome (the parts add up to the pilots)."""
    most = max((r["pilots"] for r in rows), default=1) or 1
    bars = []
    for row in rows:
        x, parts = 0.0, []
        for name in segments:
            value = row[name]
            w = value / most * width
            if value:
                parts.append({"name": name, "x": round(x, 2), "w": round(w, 2), "value": value})
            x += w
        bars.append({"row": row, "parts": parts, "length": round(x, 2)})
    return {"width": width, "bars": bars}
