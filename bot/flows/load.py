"""Reading a flows folder (flows, texts, the red-flag table) into a checked FlowSet."""
from __future__ import annotations

from pathlib import Path

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.clinical import load_clinical
from bot.flows.model import Alerts, Flow, FlowSet, QuestionRules, Replies, Reviewed, Vocabulary
from bot.flows.validation import check
from bot.sourcefile import Source, SourceError, load_source

CLINICAL_FILE = "red-flags.yaml"
ALERTS_FILE = "alerts.yaml"
TEXTS_DIR = "texts"
SYMPTOMS_DIR = "symptoms"
REPLIES_DIR = "replies"
REVIEWED = "reviewed"
RULES_FILE = "question-rules.yaml"
M = TypeVar("M", bound=BaseModel)


class FlowsInvalid(Exception):
    """The flows failed their checks; `problems` holds every `file:line: message`."""

    def __init__(self, problems: list[SourceError]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def validation_problems(source: Source, exc: ValidationError, at: tuple = ()) -> list[SourceError]:
    """Turn pydantic errors into `file:line` problems (`at`: where the validated value sits in the file)."""
    out = []
    for err in exc.errors():
        loc = at + tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "file"
        out.append(source.error(loc, f"{where}: {err['msg']}"))
    return out


def read_flowset(path: Path, base: Path | None = None) -> tuple[FlowSet | None, list[SourceError]]:
    """Parse a flows folder, or one flow file checked against `base` (the shipped flows folder).

    Returns the parsed set (None if the red-flag table or texts are unreadable) and the
    problems found while parsing; semantic checks are `validation.check`.
    """
    path = Path(path)
    folder = path if path.is_dir() else (base or path.parent)
    problems: list[SourceError] = []
    try:
        clinical = load_clinical(folder / CLINICAL_FILE)
    except SourceError as exc:
        return None, [exc]
    flowset = FlowSet(clinical)
    for file in sorted((folder / TEXTS_DIR).glob("*.yaml")):
        try:
            source = load_source(file)
        except SourceError as exc:
            problems.append(exc)
            continue
        texts = read_texts(source, problems)
        if texts is None:
            continue
        flowset.texts[file.stem], flowset.reviews[file.stem] = texts
        flowset.text_sources[file.stem] = source
    if not flowset.texts:
        problems.append(SourceError(folder / TEXTS_DIR, 1, "no texts file (expected texts/en.yaml)"))
    if (folder / ALERTS_FILE).exists():
        flowset.alerts, flowset.alerts_source = _parse(folder / ALERTS_FILE, Alerts, problems)
    for file in sorted((folder / SYMPTOMS_DIR).glob("*.yaml")):
        vocabulary, source = _parse(file, Vocabulary, problems)
        if vocabulary is not None:
            flowset.vocabularies[vocabulary.locale] = vocabulary
            flowset.vocabulary_sources[vocabulary.locale] = source
    for file in sorted((folder / REPLIES_DIR).glob("*.yaml")):
        replies, source = _parse(file, Replies, problems)
        if replies is not None:
            flowset.replies[replies.locale] = replies
            flowset.replies_sources[replies.locale] = source
    if (folder / RULES_FILE).exists():
        rules, flowset.rules_source = _parse(folder / RULES_FILE, QuestionRules, problems)
        flowset.question_rules = rules.root if rules is not None else {}
    files = [f for f in sorted(folder.glob("*.yaml"))
             if f.name not in (CLINICAL_FILE, ALERTS_FILE, RULES_FILE)]
    if not path.is_dir():  # the given file first, so that it replaces its namesake in `base`
        files = [path] + [f for f in files if f.resolve() != path.resolve()]
    for file in files:
        flow, source = _parse(file, Flow, problems)
        if flow is None:
            continue
        if flow.id in flowset.flows:
            if file.parent == folder and flowset.sources[flow.id].path == path:
                continue
            problems.append(source.error(("id",), f"duplicate flow id {flow.id!r} "
                                                  f"(also in {flowset.sources[flow.id].path})"))
            continue
        flowset.flows[flow.id] = flow
        flowset.sources[flow.id] = source
    return flowset, problems


def read_texts(source: Source, problems: list[SourceError]) -> tuple[dict[str, str], Reviewed] | None:
    """A texts file's keys and strings, and its `reviewed` header; None (with problems) if malformed."""
    data = source.data
    if not isinstance(data, dict) or not all(isinstance(k, str) and (isinstance(v, str) or k == REVIEWED)
                                             for k, v in data.items()):
        problems.append(source.error((), "a texts file maps text keys to strings"))
        return None
    if REVIEWED not in data:
        problems.append(source.error((), f"{source.path.name} lacks its header: "
                                         "reviewed: {by: who checked it, on: YYYY-MM-DD}"))
        return None
    try:
        reviewed = Reviewed.model_validate(data[REVIEWED])
    except ValidationError as exc:
        problems.extend(validation_problems(source, exc, (REVIEWED,)))
        return None
    return {k: v for k, v in data.items() if k != REVIEWED}, reviewed


def _parse(file: Path, model: type[M], problems: list[SourceError]) -> tuple[M | None, Source | None]:
    """`file` read as `model`; what is wrong with it goes to `problems` (then the model is None)."""
    try:
        source = load_source(file)
    except SourceError as exc:
        problems.append(exc)
        return None, None
    try:
        return model.model_validate(source.data), source
    except ValidationError as exc:
        problems.extend(validation_problems(source, exc))
        return None, source


def load_flowset(path: Path, base: Path | None = None) -> FlowSet:
    """Parse and check a flows folder (or file); raise FlowsInvalid listing every problem."""
    flowset, problems = read_flowset(path, base)
    if flowset is not None and not problems:
        problems = check(flowset)
    if problems:
        raise FlowsInvalid(problems)
    return flowset
