"""Mermaid state diagrams of flows."""
from __future__ import annotations

from bot.flows.model import Flow


def mermaid(flow: Flow) -> str:
    """A `stateDiagram-v2` of one flow: answers label the arrows, outcomes and screened flags are noted."""
    lines = ["stateDiagram-v2", f"    [*] --> {flow.start}"]
    for name, state in flow.states.items():
        if state.use:
            lines.append(f"    {name}: {name} (runs {state.use})")
        if state.outcome:
            lines.append(f"    {name}: {name} [outcome {state.outcome}]")
        if state.screens:
            lines.append(f"    note right of {name}: screens {', '.join(state.screens)}")
        for answer in state.options:
            mark = " (red flag)" if state.screens and (answer.positive or answer.id == "not_sure") else ""
            lines.append(f"    {name} --> {answer.next}: {answer.id}{mark}")
        if state.next and not state.options:
            lines.append(f"    {name} --> {state.next}")
        if state.end or state.return_ or (state.outcome and not state.next):
            lines.append(f"    {name} --> [*]" + (": return" if state.return_ else ""))
    return "\n".join(lines) + "\n"
