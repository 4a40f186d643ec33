"""Parse and validate micro-lessons (Markdown + YAML front matter) and role profiles."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
import yaml

from .examples import ExamplePage, load_examples
from .problems import Problem, ValidationError

MAX_SUMMARY = 200
MAX_TITLE = 120
MAX_BODY_WORDS = 400
MAX_SITUATIONS, MAX_SITUATION = 8, 200
LEVELS = ("beginner", "intermediate", "advanced")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HOST_GLOB = re.compile(r"^(\*\.)?([a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?)(\.[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?)*(:\d+)?$")
PATH_GLOB = re.compile(r"^/[^\s?#]*$")
LESSON_FIELDS = {
    "id", "title", "summary", "skills", "roles", "apps", "url_patterns", "keywords", "level",
    "minutes", "owner", "review_by", "check", "links", "situations",
}
CHECK_FIELDS = {"question", "options", "answer", "explanation"}


@dataclass
class Lesson:
    id: str
    title: str
    summary: str
    body: str
    path: str = ""
    skills: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    url_patterns: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    level: str = ""
    minutes: int = 0
    owner: str = ""
    review_by: str = ""
    check: dict | None = None
    links: list[dict] = field(default_factory=list)
    situations: list[str] = field(default_factory=list)

    def head_text(self) -> str:
        """Title and summary: what the lesson is about, in the words of a tip."""
        return f"{self.title}. {self.summary}" if self.summary else self.title

    def situation_text(self) -> str:
        """The moments the lesson fits, as one passage."""
        return " ".join(self.situations)

    def search_text(self) -> str:
        """The text that represents the lesson for embedding and lexical search."""
        parts = [f"{self.title}.", self.summary, " ".join(self.keywords), self.body]
        return "\n".join(p for p in parts if p)


@dataclass
class Role:
    id: str
    title: str
    description: str = ""
    skills: dict[str, int] = field(default_factory=dict)


def _field_lines(text: str) -> dict[str, int]:
    """Line number (1-based, in the file) of each top-level front-matter key."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


class _Checker:
    """Collects problems for one file, locating each field's line."""

    def __init__(self, path: Path, text: str):
        self.path = str(path)
        self.lines = _field_lines(text)
        self.problems: list[Problem] = []

    def add(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.get(name, 1), name, message))

    def text(self, meta: dict, name: str, required: bool = False, max_len: int | None = None) -> str:
        value = meta.get(name)
        if value is None or value == "":
            if required:
                self.add(name, "is required")
            return ""
        if not isinstance(value, str):
            self.add(name, "must be a string")
            return ""
        value = " ".join(value.split())
        if max_len and len(value) > max_len:
            self.add(name, f"is {len(value)} characters; at most {max_len} allowed")
        return value

    def strings(self, meta: dict, name: str, pattern: re.Pattern | None = None, what: str = "") -> list[str]:
        value = meta.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(name, "must be a list of strings")
            return []
        wrong = [v for v in value if not isinstance(v, str) or not v.strip()]
        if wrong:
            self.add(name, f"{wrong[0]!r} is not a non-empty string (quote values such as 1:1 or yes)")
            return []
        items = [v.strip() for v in value]
        for item in items:
            if pattern and not pattern.match(item):
                self.add(name, f"{item!r} is not {what}")
        return items


def _date(checker: _Checker, meta: dict) -> str:
    value = meta.get("review_by")
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        checker.add("review_by", f"{value!r} is not a date (YYYY-MM-DD)")
        return ""


def _check(checker: _Checker, meta: dict) -> dict | None:
    value = meta.get("check")
    if value is None:
        return None
    if not isinstance(value, dict):
        checker.add("check", "must be a mapping with question, options, answer, explanation")
        return None
    for key in sorted(set(value) - CHECK_FIELDS):
        checker.add("check", f"unknown field {key!r}")
    missing = [key for key in sorted(CHECK_FIELDS) if key not in value]
    if missing:
        checker.add("check", f"missing {', '.join(missing)}")
        return None
    options = value["options"]
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, (str, int, float)) for o in options):
        checker.add("check", "options must be a list of at least two answers")
        return None
    answer = value["answer"]
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
        checker.add("check", f"answer must be an index from 0 to {len(options) - 1}")
        return None
    return {
        "question": str(value["question"]).strip(),
        "options": [str(o) for o in options],
        "answer": answer,
        "explanation": str(value["explanation"]).strip(),
    }


def _links(checker: _Checker, meta: dict) -> list[dict]:
    value = meta.get("links")
    if value is None:
        return []
    ok = isinstance(value, list) and all(
        isinstance(v, dict) and set(v) == {"title", "url"} and re.match(r"^https?://\S+$", str(v["url"]))
        for v in value
    )
    if not ok:
        checker.add("links", "must be a list of {title, url} with http(s) URLs")
        return []
    return [{"title": str(v["title"]), "url": str(v["url"])} for v in value]


def _situations(checker: _Checker, meta: dict) -> list[str]:
    items = [" ".join(s.split()) for s in checker.strings(meta, "situations")]
    if len(items) > MAX_SITUATIONS:
        checker.add("situations", f"has {len(items)} entries; at most {MAX_SITUATIONS} allowed")
    for item in items:
        if len(item) > MAX_SITUATION:
            checker.add("situations", f"{item[:40]!r}... is {len(item)} characters; at most {MAX_SITUATION} allowed")
    return items


def _minutes(checker: _Checker, meta: dict) -> int:
    value = meta.get("minutes")
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 15:
        checker.add("minutes", "must be a whole number from 1 to 15")
        return 0
    return value


def parse_lesson(path: Path) -> tuple[Lesson | None, list[Problem]]:
    """Parse one lesson file; return the lesson (None if unusable) and its problems."""
    text = path.read_text(encoding="utf-8")
    checker = _Checker(path, text)
    if not text.startswith("---"):
        checker.add("front matter", "missing: the file must start with a '---' YAML block")
        return None, checker.problems
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        return None, [Problem(str(path), line, "front matter", f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    meta = post.metadata
    for key in sorted(set(meta) - LESSON_FIELDS):
        checker.add(key, "unknown field")
    lesson_id = checker.text(meta, "id", required=True)
    if lesson_id and not SLUG.match(lesson_id):
        checker.add("id", f"{lesson_id!r} is not a slug (a-z, 0-9 and '-')")
    body = post.content.strip()
    words = len(body.split())
    if not body:
        checker.add("body", "is empty")
    elif words > MAX_BODY_WORDS:
        checker.add("body", f"has {words} words; at most {MAX_BODY_WORDS} allowed")
    level = checker.text(meta, "level")
    if level and level not in LEVELS:
        checker.add("level", f"{level!r} is not one of {', '.join(LEVELS)}")
    lesson = Lesson(
        id=lesson_id,
        title=checker.text(meta, "title", required=True, max_len=MAX_TITLE),
        summary=checker.text(meta, "summary", required=True, max_len=MAX_SUMMARY),
        body=body,
        path=str(path),
        skills=checker.strings(meta, "skills", SLUG, "a skill id slug"),
        roles=checker.strings(meta, "roles", SLUG, "a role id slug"),
        apps=[a.lower() for a in checker.strings(meta, "apps", HOST_GLOB, "a host glob such as *.atlassian.net")],
        url_patterns=checker.strings(meta, "url_patterns", PATH_GLOB, "a path glob starting with '/'"),
        keywords=checker.strings(meta, "keywords"),
        level=level,
        minutes=_minutes(checker, meta),
        owner=checker.text(meta, "owner"),
        review_by=_date(checker, meta),
        check=_check(checker, meta),
        links=_links(checker, meta),
        situations=_situations(checker, meta),
    )
    return (lesson if not checker.problems else None), checker.problems


def parse_role(path: Path) -> tuple[Role | None, list[Problem]]:
    """Parse one role profile (YAML: id, title, description, skills: [{id, level}])."""
    text = path.read_text(encoding="utf-8")
    checker = _Checker(path, "---\n" + text + "\n---")
    checker.lines = {k: v - 1 for k, v in checker.lines.items()}
    try:
        meta = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return None, [Problem(str(path), 1, "yaml", f"invalid YAML: {exc}")]
    if not isinstance(meta, dict):
        return None, [Problem(str(path), 1, "yaml", "must be a mapping")]
    for key in sorted(set(meta) - {"id", "title", "description", "skills"}):
        checker.add(key, "unknown field")
    role_id = checker.text(meta, "id", required=True)
    if role_id and not SLUG.match(role_id):
        checker.add("id", f"{role_id!r} is not a slug (a-z, 0-9 and '-')")
    skills: dict[str, int] = {}
    entries = meta.get("skills")
    if not isinstance(entries, list) or not entries:
        checker.add("skills", "must be a non-empty list of {id, level}")
    else:
        for entry in entries:
            if (
                not isinstance(entry, dict) or not SLUG.match(str(entry.get("id", "")))
                or entry.get("level") not in (1, 2, 3)
            ):
                checker.add("skills", f"{entry!r} must be {{id: slug, level: 1-3}}")
            else:
                skills[entry["id"]] = entry["level"]
    role = Role(role_id, checker.text(meta, "title", required=True), checker.text(meta, "description"), skills)
    return (role if not checker.problems else None), checker.problems


@dataclass
class Content:
    """A validated content folder: lessons, role profiles and example pages."""

    lessons: list[Lesson]
    roles: list[Role]
    examples: list[ExamplePage] = field(default_factory=list)


def content_paths(folder: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Lesson, role and example files of a content folder (``lessons/``, ``roles/`` and ``examples/``,
    or a flat lesson folder)."""
    lesson_dir = folder / "lessons" if (folder / "lessons").is_dir() else folder
    role_dir, example_dir = folder / "roles", folder / "examples"
    roles = sorted(role_dir.glob("*.yaml")) + sorted(role_dir.glob("*.yml")) if role_dir.is_dir() else []
    examples = sorted(example_dir.glob("*.jsonl")) if example_dir.is_dir() else []
    return sorted(lesson_dir.glob("*.md"), key=str), roles, examples  # key=str: 10x faster than comparing Paths


# folder -> {path: ((size, inode, mtime), parse result)}: a rebuild after one save re-parses one file.
_parsed: dict[str, dict[str, tuple[tuple, tuple[Lesson | None, list[Problem]]]]] = {}
RACY_NS = 2 * 10**9  # files saved this recently are parsed again next time (same-tick, same-size saves)


def _parse_cached(path: Path, previous: dict, current: dict) -> tuple[Lesson | None, list[Problem]]:
    stat = path.stat()
    key = (stat.st_size, stat.st_ino, stat.st_mtime_ns)
    entry = previous.get(str(path))
    result = entry[1] if entry and entry[0] == key else parse_lesson(path)
    if stat.st_mtime_ns < time.time_ns() - RACY_NS:
        current[str(path)] = (key, result)
    return result


def load_content(folder: Path) -> Content:
    """Load and validate a content folder; raise ValidationError listing every problem.

    Unchanged lesson files (same size, inode and modification time) reuse their last parse."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError([Problem(str(folder), 0, "content", "folder does not exist")])
    lesson_paths, role_paths, example_paths = content_paths(folder)
    problems: list[Problem] = []
    lessons: list[Lesson] = []
    seen: dict[str, str] = {}
    previous, current = _parsed.get(str(folder.resolve()), {}), {}
    _parsed[str(folder.resolve())] = current
    for path in lesson_paths:
        lesson, found = _parse_cached(path, previous, current)
        problems.extend(found)
        if lesson is None:
            continue
        if lesson.id in seen:
            problems.append(Problem(str(path), _field_lines(path.read_text())["id"], "id",
                                    f"duplicate id {lesson.id!r} (also in {seen[lesson.id]})"))
            continue
        seen[lesson.id] = str(path)
        lessons.append(lesson)
    roles: list[Role] = []
    for path in role_paths:
        role, found = parse_role(path)
        problems.extend(found)
        if role:
            roles.append(role)
    examples, found = load_examples(example_paths, set(seen))
    problems.extend(found)
    if not lesson_paths:
        problems.append(Problem(str(folder), 0, "lessons", "no lesson files (*.md) found"))
    if problems:
        raise ValidationError(problems)
    return Content(lessons, roles, examples)
