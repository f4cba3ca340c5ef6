"""Playing conversation test cases through the simulator (so through the same service as every adapter)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.adapters.simulator import Simulator
from bot.conversations.model import Case, Expect, Inputs, Step, load_cases, load_inputs
from bot.service import Backline


@dataclass
class Result:
    """One case played: where it is written, and what differed from what was expected."""

    file: Path
    line: int
    case: Case
    problems: list[str] = field(default_factory=list)
    outcome: str | None = None
    flags: list[str] = field(default_factory=list)
    locale: str = "en"

    @property
    def ok(self) -> bool:
        """Passed, or failed only as its known issue says."""
        return not self.problems or self.case.known_issue is not None

    def report(self) -> str:
        mark = "ok  " if not self.problems else "KNOWN" if self.ok else "FAIL"
        head = f"{mark} {self.file}:{self.line} {self.case.name}"
        head += f" [{self.locale}]" if self.locale != "en" else ""
        why = ([f"     known issue: {self.case.known_issue}"] if self.problems and self.case.known_issue
               else [])
        return "\n".join([head] + why + [f"     {p}" for p in self.problems])


class _Sink:
    """Collects what the simulator emits, as objects."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def write(self, line: str) -> None:
        self.items += [json.loads(x) for x in line.splitlines() if x.strip()]

    def flush(self) -> None:
        pass

    def take(self) -> list[dict]:
        items, self.items = self.items, []
        return items


def inputs_for(cases: Path, locale: str) -> Inputs | None:
    """The inputs in `locale` for the cases at `cases` (conversation-inputs/<locale>.yaml beside them)."""
    if locale == "en":
        return None
    folder = cases.parent if cases.is_dir() else cases.parent.parent
    return load_inputs(folder / "conversation-inputs" / f"{locale}.yaml")


async def play_file(backline: Backline, path: Path, inputs: Inputs | None = None) -> list[Result]:
    """Play every case of one file, each as a new person, in English or in the language of `inputs`."""
    cases, source = load_cases(path)
    results = []
    for i, case in enumerate(cases.cases):
        result = Result(path, source.line(("cases", i)), case, locale=inputs.locale if inputs else "en")
        await _play(backline, case, f"{path.stem}-{i}-{result.locale}-{id(result)}", result, inputs)
        results.append(result)
    return results


async def _play(backline: Backline, case: Case, user: str, result: Result, inputs: Inputs | None) -> None:
    sink = _Sink()
    clock = backline.clock
    sim = Simulator(backline, user, out=sink, start=datetime.fromisoformat(case.start.replace("Z", "+00:00")),
                    language=result.locale)
    refs: dict[str, str] = {}
    try:
        for n, step in enumerate(case.steps, 1):
            line = step.line()
            if inputs is not None and "text" in line:
                line["text"] = inputs.text(step.text)
                if line["text"] is None:
                    result.problems.append(f"step {n}: no {inputs.locale} wording for {step.text!r}")
                    return
            if step.question is not None:
                if step.question not in refs:
                    result.problems.append(f"step {n}: no earlier question {step.question!r} to press "
                                           f"{step.press!r} on")
                    return
                line["ref"] = refs[step.question]
            await sim.feed(json.dumps(line))
            reply = sink.take()
            for item in reply:
                if item["type"] == "message" and item.get("ref") and item.get("key"):
                    refs[item["key"]] = item["ref"]
                elif item["type"] == "outcome":
                    result.outcome = item["outcome"]
                    result.flags = item["flags"]
                elif item["type"] == "error":
                    result.problems.append(f"step {n}: the simulator refused the input: {item['message']}")
            if step.expect is not None:
                says = step.expect.says
                if inputs is not None and says is not None:
                    says = inputs.says.get(says)
                    if says is None:
                        result.problems.append(
                            f"step {n}: no {inputs.locale} pattern for {step.expect.says!r}")
                        return
                expect = step.expect.model_copy(update={"says": says})
                result.problems += [f"step {n} ({_describe(step)}): {p}" for p in _differences(expect, reply)]
    finally:
        backline.clock = clock
    ended = result.outcome or "none"
    if case.outcome is not None and ended != case.outcome:
        result.problems.append(f"ended at outcome {ended!r}, expected {case.outcome!r}")
    missing = [f for f in case.flags if f not in result.flags]
    if missing:
        result.problems.append(f"the last outcome lacks flags {missing} (had {result.flags})")


def _describe(step: Step) -> str:
    (kind, value), = ((k, v) for k, v in step.line().items())
    return f"{kind} {value!r}" + (f" on {step.question}" if step.question else "")


def _differences(expect: Expect, reply: list[dict]) -> list[str]:
    messages = [i for i in reply if i["type"] == "message"]
    keys = [m.get("key") for m in messages]
    outcomes = [i["outcome"] for i in reply if i["type"] == "outcome"]
    out = []
    for key in expect.keys("key"):
        if key not in keys:
            out.append(f"expected a message {key!r}; got {keys}")
    for key in expect.keys("not_key"):
        if key in keys:
            out.append(f"expected no message {key!r}; got {keys}")
    if expect.says is not None and not any(re.search(expect.says, m["text"], re.I) for m in messages):
        out.append(f"expected a message matching /{expect.says}/; got {[m['text'][:60] for m in messages]}")
    if expect.buttons is not None:
        last = next((m for m in reversed(messages) if m["buttons"]), None)
        got = [b["id"] for b in last["buttons"]] if last else []
        if got != expect.buttons:
            out.append(f"expected buttons {expect.buttons}; got {got}")
    if expect.outcome is not None:
        if expect.outcome == "none" and outcomes:
            out.append(f"expected no outcome; got {outcomes}")
        elif expect.outcome != "none" and expect.outcome not in outcomes:
            out.append(f"expected outcome {expect.outcome!r}; got {outcomes or 'none'}")
    if expect.refused is not None and any(m.get("refused") for m in messages) != expect.refused:
        out.append("expected the input to be refused" if expect.refused else "the input was refused")
    if expect.delivered is not None:
        days = [i["day"] for i in reply if i["type"] == "delivery"]
        if len(days) != expect.delivered:
            out.append(f"expected {expect.delivered} plan day(s) delivered; got days {days}")
    return out


def case_files(path: Path) -> list[Path]:
    """One file, or every .yaml file under a folder."""
    return [path] if path.is_file() else sorted(path.rglob("*.yaml"))
