"""No sentence a person reads is written in Python: every one lives in a per-locale file."""
from __future__ import annotations

import ast
import re

from tests.conftest import REPO

# Modules whose strings can reach a person; the others (checks, the command line, storage) speak to
# developers and operators.
USER_FACING = ["bot/engine/*.py", "bot/service.py", "bot/locales.py", "bot/coaching/coach.py",
               "bot/coaching/plan.py", "bot/coaching/delivery.py", "bot/coaching/chart.py",
               "bot/adapters/terminal.py", "bot/adapters/simulator.py", "bot/adapters/telegram/*.py"]
SENTENCE = re.compile(r"[A-Za-z][a-z']+(?:[ ,:;]+[A-Za-z][a-z']+){2,}")  # three words or more


def _for_developers(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """A docstring, a log line, an exception's message, or a simulator protocol error."""
    parent = parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Expr) and isinstance(parent.value, ast.Constant):
            return True  # a docstring
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.Call):
            func = parent.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("debug", "info", "warning", "error", "exception", "ValueError", "emit",
                        "ArgumentTypeError", "add_argument"):
                return True
        parent = parents.get(parent)
    return False


def sentences() -> list[str]:
    found = []
    for pattern in USER_FACING:
        for path in sorted(REPO.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and SENTENCE.search(node.value) and not _for_developers(node, parents):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
    return found


def test_no_user_facing_english_is_left_in_python():
    assert not sentences(), "\n".join(sentences())


def test_the_scan_finds_a_sentence_written_in_code(tmp_path, monkeypatch):
    module = tmp_path / "bot" / "engine" / "extra.py"
    module.parent.mkdir(parents=True)
    module.write_text('"""Docs are fine."""\nGREETING = "Hello there, how are you"\n')
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert sentences() == ["bot/engine/extra.py:2: 'Hello there, how are you'"]
