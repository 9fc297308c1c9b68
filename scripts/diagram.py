#!/usr/bin/env python3
"""Draws the state machines of statemachine/*.asl.json as Mermaid flowcharts in
docs/statemachine.md, between the markers of each definition, so the picture is always the
definition itself.

    scripts/diagram.py          rewrite the generated sections
    scripts/diagram.py --check  exit 1 (naming the stale section) when they differ

Python 3 standard library only. Every state is a node (its shape says its type) and every
transition an edge: Next, Choice rules and Default, Catch (labelled with the error names).
The failure plumbing is drawn once: every "Failed at <stage>" Pass state is folded into a
single node, since each only names the stage and goes on to "Notify failure".
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "statemachine.md"
DEFINITIONS = sorted(p.name for p in (ROOT / "statemachine").glob("*.asl.json"))
FAILED_AT = "Failed at …"


def node_id(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9]", "_", name)


def label(name: str) -> str:
    return name.replace('"', "'")


def shape(name: str, state: dict) -> str:
    text = label(name)
    kind = state.get("Type")
    if kind == "Choice":
        return f'{node_id(name)}{{"{text}"}}'
    if kind == "Wait":
        return f'{node_id(name)}(["{text}"])'
    if kind in ("Succeed", "Fail"):
        return f'{node_id(name)}((("{text}")))'
    if kind == "Pass":
        return f'{node_id(name)}["{text}"]'
    resource = state.get("Resource", "")
    if "dynamodb" in resource:
        return f'{node_id(name)}[("{text}")]'
    return f'{node_id(name)}[["{text}"]]'


def fold(name: str) -> str:
    return FAILED_AT if name.startswith("Failed at ") else name


def choice_label(rule: dict) -> str:
    def one(r: dict) -> str:
        if "Not" in r:
            return "not " + one(r["Not"])
        for key in ("And", "Or"):
            if key in r:
                return f" {key.lower()} ".join(one(x) for x in r[key])
        variable = r.get("Variable", "").replace("$.", "")
        for op, value in r.items():
            if op in ("Variable", "Next"):
                continue
            if op == "IsPresent":
                return f"{variable} present" if value else f"{variable} absent"
            if op == "IsString":
                return f"{variable} is text"
            return f"{variable} = {json.dumps(value)}"
        return "?"

    return one(rule)


def edges_of(name: str, state: dict) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    if "Next" in state:
        out.append((name, state["Next"], ""))
    for rule in state.get("Choices", []):
        out.append((name, rule["Next"], choice_label(rule)))
    if "Default" in state:
        out.append((name, state["Default"], "otherwise"))
    for catch in state.get("Catch", []):
        errors = ", ".join(catch["ErrorEquals"])
        out.append((name, catch["Next"], f"catch {errors}"))
    return out


def draw(states: dict, lines: list[str], drawn: set, indent: str = "    ") -> None:
    """The nodes and edges of `states`; a Map's item states as a subgraph under it."""
    seen: set[str] = set()
    for name, state in states.items():
        shown = fold(name)
        if shown in seen:
            continue
        seen.add(shown)
        if shown == FAILED_AT:
            lines.append(f'{indent}{node_id(FAILED_AT)}["Failed at &lt;stage&gt; (one per stage)"]')
        else:
            lines.append(f"{indent}{shape(name, state)}")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            inner = node_id(name) + "_items"
            lines.append(f'{indent}subgraph {inner}["each item of {label(name)}"]')
            draw(processor["States"], lines, drawn, indent + "    ")
            lines.append(f"{indent}end")
            lines.append(f"{indent}{node_id(name)} -.-> {node_id(processor['StartAt'])}")
    for name, state in states.items():
        for source, target, text in edges_of(name, state):
            edge = (fold(source), fold(target), text if fold(source) != FAILED_AT else "")
            if edge in drawn:
                continue
            drawn.add(edge)
            arrow = f' -->|"{label(edge[2])}"| ' if edge[2] else " --> "
            lines.append(f"{indent}{node_id(edge[0])}{arrow}{node_id(edge[1])}")


def mermaid(definition: dict) -> str:
    states = definition["States"]
    ids = {node_id(fold(n)) for n in states}
    if len(ids) != len({fold(n) for n in states}):
        raise SystemExit("two state names draw as the same node id: rename one")
    lines = ["```mermaid", "flowchart TD"]
    lines.append(f'    start((start)) --> {node_id(definition["StartAt"])}')
    draw(states, lines, set())
    lines.append("```")
    return "\n".join(lines)


def section(file: str) -> tuple[str, str, str]:
    begin = f"<!-- generated from statemachine/{file} by scripts/diagram.py: begin -->"
    end = f"<!-- generated from statemachine/{file} by scripts/diagram.py: end -->"
    definition = json.loads((ROOT / "statemachine" / file).read_text())
    return begin, end, mermaid(definition)


def render(doc: str) -> str:
    for file in DEFINITIONS:
        begin, end, body = section(file)
        if begin not in doc or end not in doc:
            doc = doc.rstrip("\n") + f"\n\n{begin}\n{end}\n"
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = f"{head}{begin}\n{body}\n{end}{tail}"
    return doc


def main() -> int:
    current = DOC.read_text() if DOC.exists() else "# The state machines\n"
    wanted = render(current)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            print(f"{DOC.relative_to(ROOT)} is stale: run scripts/diagram.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
