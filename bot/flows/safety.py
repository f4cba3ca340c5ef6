"""The safety proof: over every path of every flow, a red flag found is never under-triaged.

A path's requirement is the most urgent outcome among the flags answered positive (or
"not sure") so far. Every outcome the path then reaches must be at least that urgent, and a
path with a requirement may not end without an outcome. Paths are explored as a finite graph
of (flow, state, call stack, requirement) nodes, so loops and subflows are covered.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from bot.sourcefile import SourceError

if TYPE_CHECKING:
    from bot.flows.load import FlowSet


class Found(NamedTuple):
    """Where a red flag was reported: the flag and the answer that reported it."""

    flag: str
    flow: str
    state: str
    answer: int


class Node(NamedTuple):
    flow: str
    state: str
    stack: tuple[tuple[str, str], ...]
    found: Found | None


def prove(flowset: FlowSet) -> list[SourceError]:
    """One problem per positive answer that has an unsafe path, naming the path."""
    problems: dict[Found, SourceError] = {}
    for flow in flowset.flows.values():
        start = Node(flow.id, flow.start, (), None)
        parents: dict[Node, tuple[Node, str] | None] = {start: None}
        todo = [start]
        while todo:
            node = todo.pop()
            unsafe = _violation(flowset, node)
            if unsafe and node.found not in problems:
                problems[node.found] = _problem(flowset, node, parents, unsafe)
            for step, nxt in _steps(flowset, node):
                if nxt not in parents:
                    parents[nxt] = (node, step)
                    todo.append(nxt)
    return list(problems.values())


def _violation(flowset: FlowSet, node: Node) -> str | None:
    if node.found is None:
        return None
    clinical = flowset.clinical
    needed = clinical.flag_outcome(node.found.flag)
    state = flowset.flows[node.flow].states[node.state]
    if state.outcome and clinical.urgency(state.outcome) < clinical.urgency(needed):
        return f"reaches outcome {state.outcome!r}, less urgent than {needed!r}"
    if state.end or (state.return_ and not node.stack):
        return f"ends with no outcome, but needs {needed!r}"
    return None


def _steps(flowset: FlowSet, node: Node) -> list[tuple[str, Node]]:
    """(label, next node) for every way on from `node`."""
    state = flowset.flows[node.flow].states[node.state]
    out: list[tuple[str, Node]] = []
    for i, answer in enumerate(state.options):
        found = node.found
        if state.screens and (answer.positive or answer.id == "not_sure"):
            for flag in state.screens:
                if found is None or _more_urgent(flowset, flag, found.flag):
                    found = Found(flag, node.flow, node.state, i)
        out.append((f"-{answer.id}->", node._replace(state=answer.next, found=found)))
    if state.use:
        frame = (node.flow, state.next)
        out.append(("=>", Node(state.use, flowset.flows[state.use].start, node.stack + (frame,), node.found)))
    elif state.next and state.ask not in ("yes_no", "choice"):
        out.append(("->", node._replace(state=state.next)))
    if state.return_ and node.stack:
        (flow, target), stack = node.stack[-1], node.stack[:-1]
        out.append(("<=", Node(flow, target, stack, node.found)))
    return out


def _more_urgent(flowset: FlowSet, flag: str, than: str) -> bool:
    clinical = flowset.clinical
    return clinical.urgency(clinical.flag_outcome(flag)) > clinical.urgency(clinical.flag_outcome(than))


def _problem(flowset: FlowSet, node: Node, parents: dict, unsafe: str) -> SourceError:
    path = []
    cur: Node | None = node
    while cur is not None:
        link = parents[cur]
        path.append(f"{cur.flow}.{cur.state}")
        if link is not None:
            path.append(link[1])
        cur = link[0] if link else None
    found = node.found
    source = flowset.sources[found.flow]
    answer = flowset.flows[found.flow].states[found.state].answers[found.answer]
    return source.error(
        ("states", found.state, "answers", found.answer),
        f"unsafe: answering {answer.id!r} at {found.flow}.{found.state} reports red flag {found.flag!r}, "
        f"but this path {unsafe}: {' '.join(reversed(path))}",
    )
