"""The safety proof: over every path of every flow, a red flag found is never under-triaged.

A path's requirement is the most urgent outcome among the flags answered positive (or
"not sure") so far. Every outcome the path then reaches must be at least that urgent, and a
path with a requirement may not end without an outcome. Paths are explored as a finite graph
of (flow, state, call stack, requirement, last outcome, clearance) nodes, so loops and subflows
are covered, and so is every way the engine leaves a question other than by its buttons: a sign
typed in the person's own words restarts the screen (inside it) or interrupts with the re-check
flow (anywhere else). A sign described or pressed late counts as the positive answer of the
question that screens it, so the screen must pass a question for every flag on every path.
A person whose last check ended at a red flag never reaches an outcome that enrols in coaching
unless the path records a professional's clearance (the action `record_clearance`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from bot.sourcefile import SourceError

if TYPE_CHECKING:
    from bot.flows.model import FlowSet


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
    prior: str | None = None  # the outcome of the person's last finished check
    cleared: bool = False  # a professional's clearance was recorded on this path


CLEARANCE = "record_clearance"


def prove(flowset: FlowSet) -> list[SourceError]:
    """One problem per positive answer (or flow start) that has an unsafe path, naming the path."""
    problems: dict[object, SourceError] = {}
    for problem in _incomplete_screen(flowset):
        problems[problem] = problem
    for flow in flowset.flows.values():
        for prior in (None, *flowset.clinical.outcome_ids):
            start = Node(flow.id, flow.start, (), None, prior)
            parents: dict[Node, tuple[Node, str] | None] = {start: None}
            todo = [start]
            while todo:
                node = todo.pop()
                unsafe = _violation(flowset, node)
                key = node.found or (flow.id, prior)
                if unsafe and key not in problems:
                    problems[key] = _problem(flowset, node, parents, unsafe)
                for step, nxt in _steps(flowset, node):
                    if nxt not in parents:
                        parents[nxt] = (node, step)
                        todo.append(nxt)
    return list(problems.values())


def _incomplete_screen(flowset: FlowSet) -> list[SourceError]:
    """The screen must ask about every flag on every path to its return (noted flags rely on it)."""
    if flowset.alerts is None or flowset.alerts.screen not in flowset.flows:
        return []
    flow = flowset.flows[flowset.alerts.screen]
    every = frozenset(flowset.clinical.flag_ids)
    ahead = {name: every for name in flow.states}  # flags met on every path from a state to a return
    changed = True
    while changed:
        changed = False
        for name, state in flow.states.items():
            nexts = [ahead[t] for t in state.targets() if t in ahead]
            met = frozenset() if state.return_ else frozenset.intersection(*nexts) if nexts else every
            met |= frozenset(state.screens)
            if met != ahead[name]:
                ahead[name], changed = met, True
    missing = sorted(every - ahead[flow.start], key=flowset.clinical.flag_ids.index)
    if not missing:
        return []
    return [flowset.sources[flow.id].error(("start",), f"the screen {flow.id!r} can return without asking "
                                           f"about {', '.join(missing)}: a sign described in the person's "
                                           "own words would never be applied")]


def _violation(flowset: FlowSet, node: Node) -> str | None:
    clinical = flowset.clinical
    state = flowset.flows[node.flow].states[node.state]
    if (state.outcome and clinical.enrols(state.outcome) and node.prior is not None
            and not clinical.enrols(node.prior) and not node.cleared):
        return (f"reaches outcome {state.outcome!r} for a person whose last check ended at {node.prior!r}, "
                f"with no recorded clearance ({CLEARANCE})")
    if node.found is None:
        return None
    needed = clinical.flag_outcome(node.found.flag)
    if state.outcome and clinical.urgency(state.outcome) < clinical.urgency(needed):
        return f"reaches outcome {state.outcome!r}, less urgent than {needed!r}"
    if state.end or (state.return_ and not node.stack):
        return f"ends with no outcome, but needs {needed!r}"
    return None


def _steps(flowset: FlowSet, node: Node) -> list[tuple[str, Node]]:
    """(label, next node) for every way on from `node`."""
    state = flowset.flows[node.flow].states[node.state]
    if state.outcome:  # what a later switch on last_outcome sees
        node = node._replace(prior=state.outcome,
                             cleared=node.cleared and flowset.clinical.enrols(state.outcome))
    if state.action == CLEARANCE:
        node = node._replace(cleared=True)
    out: list[tuple[str, Node]] = []
    for i, answer in enumerate(state.options):
        found = node.found
        if state.screens and (answer.positive or answer.id == "not_sure"):
            for flag in state.screens:
                if found is None or _more_urgent(flowset, flag, found.flag):
                    found = Found(flag, node.flow, node.state, i)
        cleared = node.cleared or answer.action == CLEARANCE
        out.append((f"-{answer.id}->", node._replace(state=answer.next, found=found, cleared=cleared)))
    if state.otherwise:
        out.append(("-otherwise->", node._replace(state=state.otherwise)))
    if state.ask and flowset.alerts is not None:
        out.append(_mention(flowset, node))
    if state.use:
        frame = (node.flow, state.next)
        out.append(("=>", node._replace(flow=state.use, state=flowset.flows[state.use].start,
                                        stack=node.stack + (frame,))))
    elif state.switch:
        target = state.cases.get(node.prior) if state.switch == "last_outcome" else None
        out.append((f"-[{state.switch}={node.prior}]->", node._replace(state=target or state.next)))
    elif state.next and state.ask not in ("yes_no", "choice"):
        out.append(("->", node._replace(state=state.next)))
    if state.return_ and node.stack:
        (flow, target), stack = node.stack[-1], node.stack[:-1]
        out.append(("<=", node._replace(flow=flow, state=target, stack=stack)))
    return out


def _mention(flowset: FlowSet, node: Node) -> tuple[str, Node]:
    """A sign typed at a question: the screen restarts inside itself; elsewhere the re-check runs and
    then comes back to this question."""
    alerts = flowset.alerts
    if node.flow == alerts.screen:
        return "~sign~>", node._replace(state=flowset.flows[alerts.screen].start)
    frame = (node.flow, node.state)
    return "~sign~>", node._replace(flow=alerts.flow, state=flowset.flows[alerts.flow].start,
                                    stack=node.stack + (frame,))


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
    if found is None:
        return flowset.sources[node.flow].error(("states", node.state), f"unsafe: this path {unsafe}: "
                                                f"{' '.join(reversed(path))}")
    source = flowset.sources[found.flow]
    answer = flowset.flows[found.flow].states[found.state].answers[found.answer]
    return source.error(
        ("states", found.state, "answers", found.answer),
        f"unsafe: answering {answer.id!r} at {found.flow}.{found.state} reports red flag {found.flag!r}, "
        f"but this path {unsafe}: {' '.join(reversed(path))}",
    )
