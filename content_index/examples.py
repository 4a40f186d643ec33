"""Example pages: real-looking work pages labelled with the lesson that helps there, or with none.

A content folder may hold ``examples/*.jsonl``, one page a line, in the BEIR query layout that
``inflow eval`` reads: ``{"_id", "text", "metadata": {"title", "url", "headings"?, "selection"?,
"lessons": [...]}}``. The first listed lesson is the one to show, any others would also do; an empty
list marks a page where no tip should be shown. The ranking compares a page with them (a page much
like an example of a lesson is evidence for that lesson; one much like a no-tip example is evidence
for silence), and the page adapter and the reranker are trained on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem

MAX_EXAMPLE_CHARS = 20_000
PAGE_FIELDS = ("title", "url", "selection")


@dataclass
class ExamplePage:
    id: str
    lessons: list[str]
    text: str
    title: str = ""
    url: str = ""
    selection: str = ""
    headings: list[str] = field(default_factory=list)
    description: str = ""


def whole_page_text(page, max_words: int = 120) -> str:
    """A page (a ``companion.context.PageContext`` or an ``ExamplePage``) as one passage, the most
    specific parts first."""
    parts = [page.selection, page.title, " ".join(page.headings[:6]), page.description, page.text]
    return " ".join(" ".join(p for p in parts if p).split()[:max_words])


def parse_example(record: object, where: tuple[str, int]) -> tuple[ExamplePage | None, list[Problem]]:
    """One decoded line of an examples file, or the problems that keep it out."""
    path, line = where
    if not isinstance(record, dict):
        return None, [Problem(path, line, "example", "must be a JSON object")]
    problems = []
    meta = record.get("metadata") or {}
    if not isinstance(meta, dict):
        return None, [Problem(path, line, "metadata", "must be an object")]
    if not isinstance(record.get("_id"), str) or not record["_id"].strip():
        problems.append(Problem(path, line, "_id", "is required"))
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(path, line, "text", "is required"))
    elif len(text) > MAX_EXAMPLE_CHARS:
        problems.append(Problem(path, line, "text", f"is {len(text)} characters; at most {MAX_EXAMPLE_CHARS}"))
    for name in PAGE_FIELDS:
        if not isinstance(meta.get(name, ""), str):
            problems.append(Problem(path, line, f"metadata.{name}", "must be text"))
    headings = meta.get("headings", [])
    if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
        problems.append(Problem(path, line, "metadata.headings", "must be a list of text"))
    lessons = meta.get("lessons")
    if not isinstance(lessons, list) or not all(isinstance(l, str) for l in lessons):
        problems.append(Problem(path, line, "metadata.lessons", "must be a list of lesson ids ([] for no tip)"))
    if problems:
        return None, problems
    return ExamplePage(record["_id"], lessons, text, headings=headings,
                       **{name: meta.get(name, "") for name in PAGE_FIELDS}), []


def load_examples(paths: list[Path], lesson_ids: set[str] | None = None) -> tuple[list[ExamplePage], list[Problem]]:
    """Every example page in ``paths``, and every problem: bad JSON, missing fields, a repeated ``_id``,
    a lesson id not in ``lesson_ids`` (when given)."""
    examples: list[ExamplePage] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in paths:
        for line, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as error:
                problems.append(Problem(str(path), line, "example", f"is not JSON ({error.msg})"))
                continue
            example, found = parse_example(record, (str(path), line))
            problems.extend(found)
            if example is None:
                continue
            if example.id in seen:
                problems.append(Problem(str(path), line, "_id", f"duplicate id {example.id!r} (also in {seen[example.id]})"))
                continue
            seen[example.id] = f"{path}:{line}"
            unknown = [l for l in example.lessons if lesson_ids is not None and l not in lesson_ids]
            if unknown:
                problems.append(Problem(str(path), line, "metadata.lessons", f"no lesson with id {unknown[0]!r}"))
                continue
            examples.append(example)
    return examples, problems
