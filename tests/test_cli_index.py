"""``inflow index`` through click's runner, and the admin script as a real process."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from companion.cli import main
from content_index.store import IndexStore
from tests.conftest import REPO


def invoke(*args, env=None):
    return CliRunner().invoke(main, list(args), env={"INFLOW_MODEL": "fake", **(env or {})}, catch_exceptions=False)


def test_validate_reports_all_problems_and_fails(content):
    content.write("lesson-0", level="guru")
    content.write("lesson-1", minutes=0)
    result = invoke("index", "validate", "--content", str(content.root))
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output
    assert "lesson-0.md:" in result.output and ": level: " in result.output
    assert "lesson-1.md:" in result.output and ": minutes: " in result.output


def test_validate_ok(content):
    result = invoke("index", "validate", "--content", str(content.root))
    assert result.exit_code == 0 and "ok: 3 lessons, 1 roles, 0 example pages" in result.output


def test_validate_names_the_example_file_line_and_field(content):
    content.write_examples("pages", {"text": "Totals by hand again", "lessons": ["lesson-0"]},
                           {"text": "A page", "lessons": ["no-such-lesson"]})
    result = invoke("index", "validate", "--content", str(content.root))
    assert result.exit_code == 1
    assert "pages.jsonl:2: metadata.lessons: no lesson with id 'no-such-lesson'" in result.output


def test_build_then_unchanged_then_rollback(content, tmp_path):
    data = tmp_path / "data"
    first = invoke("index", "build", "--content", str(content.root), "--data-dir", str(data))
    assert first.exit_code == 0 and "published" in first.output and "3 embedded" in first.output
    assert "unchanged" in invoke("index", "build", "--content", str(content.root), "--data-dir", str(data)).output
    content.write("lesson-0", title="New title")
    assert "1 embedded" in invoke("index", "build", "--content", str(content.root), "--data-dir", str(data)).output
    rolled = invoke("index", "rollback", "--data-dir", str(data))
    assert rolled.exit_code == 0 and IndexStore(data / "index").current_version() in rolled.output
    assert invoke("index", "rollback", "--data-dir", str(data)).exit_code == 1


def test_inflow_home_sets_the_data_dir(content, tmp_path):
    result = invoke("index", "build", "--content", str(content.root), env={"INFLOW_HOME": str(tmp_path / "home")})
    assert result.exit_code == 0
    assert IndexStore(tmp_path / "home" / "data" / "index").current_version()


def test_admin_script_plain_output_and_exit_status(content, tmp_path):
    env = {"INFLOW_MODEL": "fake", "PATH": "", "PYTHONPATH": str(REPO)}
    script = [sys.executable, str(REPO / "scripts" / "build_index.py"), "--content", str(content.root),
              "--data-dir", str(tmp_path / "data")]
    ok = subprocess.run(script, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("published ") and "lessons/s" in ok.stdout
    content.write("lesson-2", review_by="someday")
    bad = subprocess.run(script, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "lesson-2.md:" in bad.stderr and "review_by: 'someday' is not a date" in bad.stderr


def test_large_plain_builds_print_progress_lines(capsys):
    from companion.index_commands import progress_lines

    progress = progress_lines(at_least=100)
    for done in range(0, 1001, 25):
        progress(done, 1000)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "embedded 100/1000 lessons" and lines[-1] == "embedded 1000/1000 lessons"
    assert len(lines) == 10
    quiet = progress_lines(at_least=100)
    quiet(10, 10)
    assert capsys.readouterr().err == ""


def test_model_and_bench_commands_are_documented():
    for command in (["model", "export", "--help"], ["bench", "--help"]):
        result = invoke(*command)
        assert result.exit_code == 0 and "Usage" in result.output
