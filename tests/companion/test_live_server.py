"""The companion as a real waitress process: HTTP, pairing, durability under kill -9, index swaps."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from tests.conftest import STARTER_CONTENT, LiveServer


def post_tips(server, text, url="https://docs.google.com/spreadsheets/d/1", **extra):
    body = {"url": url, "title": "Team sheet", "text": text, **extra}
    return requests.post(f"{server.url}/tips", json=body, headers=server.headers(), timeout=10)


def test_pairing_then_tips_and_events_over_http(live_server):
    code = subprocess.run([sys.executable, "-m", "companion", "pair", "--data-dir", str(live_server.data_dir)],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert len(code) == 6 and code.isdigit()
    paired = requests.post(f"{live_server.url}/pair", json={"code": code}, timeout=5)
    assert paired.status_code == 200 and paired.json()["token"] == live_server.token
    assert requests.post(f"{live_server.url}/pair", json={"code": code}, timeout=5).status_code == 403
    tips = post_tips(live_server, "learn pivot tables in a few steps").json()
    assert tips["tips"][0]["lesson_id"] == "lesson-0"
    event = {"id": uuid.uuid4().hex, "type": "viewed", "lesson_id": "lesson-0", "request_id": tips["request_id"]}
    stored = requests.post(f"{live_server.url}/events", json={"events": [event]}, headers=live_server.headers())
    assert stored.json() == {"ok": True, "accepted": 1, "duplicates": 0}
    assert requests.get(f"{live_server.url}/progress", timeout=5).status_code == 401
    served_by = requests.get(f"{live_server.url}/health", timeout=5).headers["Server"]
    assert served_by == "inflow"


def test_kill_9_loses_no_acknowledged_event(live_server):
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer():
        session = requests.Session()
        while not stop.is_set():
            batch = [{"id": uuid.uuid4().hex, "type": "shown", "lesson_id": "lesson-1"} for _ in range(5)]
            try:
                response = session.post(f"{live_server.url}/events", json={"events": batch},
                                        headers=live_server.headers(), timeout=5)
            except requests.RequestException:
                return
            if response.status_code == 200:
                acknowledged.extend(e["id"] for e in batch)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    live_server.stop(kill=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) > 50
    db = sqlite3.connect(live_server.data_dir / "events.db")
    stored = {row[0] for row in db.execute("SELECT id FROM events")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged events lost"


def test_index_swap_under_concurrent_requests(tmp_path, content):
    server = LiveServer(tmp_path / "data", content.root, watch=True,
                        extra_args=("--requests-per-minute", "1000000")).start()
    errors: list[str] = []
    versions: set[str] = set()
    stop = threading.Event()

    def reader():
        session = requests.Session()
        while not stop.is_set():
            response = session.post(f"{server.url}/tips", headers=server.headers(), timeout=10,
                                    json={"url": "https://example.com/", "text": "pull request review"})
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text}")
            versions.add(session.get(f"{server.url}/health", timeout=10).json()["index_version"])

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(5):
            content.write(f"swap-{i}", f"## Steps\n1. Pull request review variant {i}.")
            time.sleep(0.8)
        deadline = time.monotonic() + 10
        while len(versions) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        server.stop()
    assert not errors
    assert len(versions) >= 3, versions


@pytest.mark.model
def test_real_model_server_serves_the_starter_lessons(tmp_path):
    server = LiveServer(tmp_path / "data", STARTER_CONTENT, model="").start()
    try:
        health = requests.get(f"{server.url}/health", timeout=5).json()
        model = health["model"]  # the default backend: the bundled model with its page adapter, int8 ONNX
        assert model.startswith("all-MiniLM-L6-v2+pages-") and model.endswith("-onnx-int8") and health["lessons"] >= 120
        found = requests.post(f"{server.url}/tips", headers=server.headers(), timeout=10, json={
            "url": "https://github.com/acme/payments/pull/482",
            "title": "Add retry to payment client by dana · Pull Request #482 · acme/payments",
            "text": "Reviewers: No reviews. Request a review from a teammate before merging.",
        }).json()
        assert found["tips"] and found["tips"][0]["lesson_id"].startswith("github-")
    finally:
        server.stop()
