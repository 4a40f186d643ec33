"""Lesson and role validation: every problem is reported at once as file:line: field: message."""

from __future__ import annotations

import pytest

from content_index.lessons import ValidationError, load_content, parse_lesson


def test_valid_lesson_parses_every_field(content):
    path = content.write(
        "sheets-vlookup", "## Steps\n1. Use FALSE as the last argument.",
        title="Exact match with VLOOKUP", apps=["docs.google.com"], url_patterns=["/spreadsheets/*"],
        roles=["data-analyst"], keywords=["lookup"], review_by="2027-01-31", owner="ops",
        check={"question": "Q?", "options": ["a", "b"], "answer": 1, "explanation": "b."},
        links=[{"title": "Docs", "url": "https://support.google.com/docs"}],
        situations=["A price list lookup  returns the wrong row"],
    )
    lesson, problems = parse_lesson(path)
    assert problems == []
    assert lesson.situations == ["A price list lookup returns the wrong row"]
    assert lesson.apps == ["docs.google.com"]
    assert lesson.url_patterns == ["/spreadsheets/*"]
    assert lesson.check["answer"] == 1
    assert lesson.review_by == "2027-01-31"
    assert "FALSE" in lesson.search_text() and "Exact match" in lesson.search_text()


def test_every_problem_is_reported_with_file_line_and_field(content):
    content.write(
        "bad-one", summary="x" * 201, skils=["typo"], apps=["https://github.com/x"],
        url_patterns=["no-slash"], review_by="2027-02-30", level="guru", minutes=99,
        check={"question": "Q", "options": ["only"], "answer": 0, "explanation": "e"},
        situations=["y" * 201],
    )
    content.write("bad-two", "word " * 401, title=None, situations=[f"moment {i}" for i in range(9)])
    content.write("dup-a", id="same-id")
    content.write("dup-b", id="same-id")
    with pytest.raises(ValidationError) as caught:
        load_content(content.root)
    text = str(caught.value)
    expected = [
        ("bad-one.md", "summary", "201 characters"),
        ("bad-one.md", "skils", "unknown field"),
        ("bad-one.md", "apps", "host glob"),
        ("bad-one.md", "url_patterns", "path glob"),
        ("bad-one.md", "review_by", "not a date"),
        ("bad-one.md", "level", "not one of"),
        ("bad-one.md", "minutes", "1 to 15"),
        ("bad-one.md", "check", "at least two"),
        ("bad-one.md", "situations", "201 characters"),
        ("bad-two.md", "title", "is required"),
        ("bad-two.md", "body", "401 words"),
        ("bad-two.md", "situations", "9 entries"),
        ("dup-b.md", "id", "duplicate id 'same-id'"),
    ]
    for file, field, message in expected:
        assert any(
            line.split(":")[0].endswith(file) and f": {field}: " in line and message in line
            for line in text.splitlines()
        ), (file, field, message, text)
    assert len(caught.value.problems) == len(expected)


def test_problem_lines_point_at_the_field(content):
    path = content.write_raw("lined.md", """\
        ---
        id: lined
        title: Fine
        summary: Fine.
        level: expert
        ---
        Body.
        """)
    _, problems = parse_lesson(path)
    assert [str(p) for p in problems] == [f"{path}:5: level: 'expert' is not one of beginner, intermediate, advanced"]


def test_broken_yaml_and_missing_front_matter_are_errors(content):
    content.write_raw("broken.md", "---\nid: broken\ntitle: [unclosed\n---\nBody\n")
    content.write_raw("plain.md", "# Just markdown\n")
    with pytest.raises(ValidationError) as caught:
        load_content(content.root)
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["front matter", "front matter"]
    assert any("invalid YAML" in p.message for p in caught.value.problems)


def test_role_profiles_are_validated(content):
    (content.roles / "broken.yaml").write_text("id: broken\ntitle: Broken\nskills:\n  - id: Not A Slug\n    level: 7\n")
    with pytest.raises(ValidationError) as caught:
        load_content(content.root)
    assert [(p.field, p.line) for p in caught.value.problems] == [("skills", 3)]


def test_missing_folder_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        load_content(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="no lesson files"):
        load_content(tmp_path / "empty")


def test_starter_content_is_valid_and_substantial():
    from tests.conftest import STARTER_CONTENT

    loaded = load_content(STARTER_CONTENT)
    assert len(loaded.lessons) >= 25
    assert len(loaded.roles) >= 3
    apps = {app for lesson in loaded.lessons for app in lesson.apps}
    assert {"github.com", "*.atlassian.net", "docs.google.com", "mail.google.com"} <= apps
    role_skills = {skill for role in loaded.roles for skill in role.skills}
    lesson_skills = {skill for lesson in loaded.lessons for skill in lesson.skills}
    assert role_skills <= lesson_skills, "every skill a role needs has at least one lesson"
