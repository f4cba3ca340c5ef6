"""Starting up: refusing bad flows or content, configuration, the default database location."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bot.settings import Settings
from bot.storage import default_database_url
from tests.conftest import REPO


def run(*args, env=None, cwd=REPO, stdin="", unset=()):
    environ = {k: v for k, v in os.environ.items() if k not in unset} | (env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, input=stdin, env=environ)


def test_the_bot_refuses_to_start_on_a_flow_that_fails_its_checks(tmp_path):
    broken = tmp_path / "flows"
    shutil.copytree(Settings().flows, broken)
    path = broken / "redflags.yaml"
    path.write_text(path.read_text().replace("next: emergency", "next: clear", 1))
    env = {"BACKLINE_FLOWS": str(broken), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    for command in (["simulate"], ["chat", "--user", "x"], ["health"]):
        done = run(*command, env=env, stdin='{"command": "start"}\n')
        assert done.returncode == 1, command
        assert f"{path}:" in done.stderr and "unsafe" in done.stderr
    assert not (tmp_path / "x.db").exists(), "nothing touched before the checks pass"


def test_content_errors_are_reported_by_flows_check_with_file_and_line(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(Settings().plan_file.parent, content)
    plan = content / "plan.yaml"
    text = plan.read_text().replace("measure_every: 7", "measure_every: 7\nmystery: 1", 1)
    plan.write_text(text)
    line = text.splitlines().index("mystery: 1") + 1
    done = run("flows", "check", env={"BACKLINE_CONTENT": str(content)})
    assert done.returncode == 1 and f"{plan}:{line}: mystery: Extra inputs are not permitted" in done.stderr


def test_the_default_database_is_a_sqlite_file_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings.from_env({}).database_url is None
    assert default_database_url() == f"sqlite:///{tmp_path / 'backline' / 'backline.db'}"
    assert Settings.from_env({"DATABASE_URL": "postgresql://u@db/b"}).database_url == "postgresql://u@db/b"


def test_run_reads_a_dotenv_file_and_explains_a_bad_token_in_one_line(tmp_path):
    env, unset = {"PYTHONPATH": str(REPO)}, ("TELEGRAM_BOT_TOKEN",)
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=not-a-token\n")
    done = run("run", env=env, cwd=tmp_path, unset=unset)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "backline: TELEGRAM_BOT_TOKEN does not look like a bot token "
        "(expected digits, a colon, then at least 30 letters, digits, _ or -)"]
    (tmp_path / ".env").unlink()
    done = run("run", env=env, cwd=tmp_path, unset=unset)
    assert done.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in done.stderr
