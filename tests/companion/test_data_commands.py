"""``inflow data export|erase`` and ``inflow export xapi`` over a real event store."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner

from companion.cli import main
from companion.config import Paths
from companion.events import EventStore


def seeded(tmp_path):
    store = EventStore(Paths(tmp_path).events)
    ids = [str(uuid.uuid4()), "client-id-0001", str(uuid.uuid4())]
    store.add([
        {"id": ids[0], "type": "applied", "lesson_id": "lesson-0", "host": "github.com", "ts": "2026-11-01T10:00:00.000Z"},
        {"id": ids[1], "type": "check_failed", "lesson_id": "lesson-1", "ts": "2026-11-10T10:00:00.000Z"},
        {"id": ids[2], "type": "helpful", "lesson_id": "lesson-1", "ts": "2026-11-20T10:00:00.000Z"},
    ])
    store.set_profile("role", "analyst")
    store.close()
    return ids


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_xapi_export_is_valid_statements(tmp_path):
    ids = seeded(tmp_path)
    result = run("export", "xapi", "--data-dir", str(tmp_path))
    statements = json.loads(result.output)
    assert [s["id"] for s in statements][0::2] == [ids[0], ids[2]]
    assert str(uuid.UUID(statements[1]["id"])), "non-UUID client ids become stable UUIDs"
    assert statements[0]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statements[0]["object"]["id"] == "urn:inflow:lesson:lesson-0"
    assert statements[0]["context"] == {"platform": "github.com"}
    assert statements[1]["result"] == {"success": False}
    assert statements[2]["result"]["score"]["scaled"] == 1.0
    later = json.loads(run("export", "xapi", "--data-dir", str(tmp_path), "--since", "2026-11-15").output)
    assert [s["id"] for s in later] == [ids[2]]


def test_data_export_then_erase(tmp_path):
    seeded(tmp_path)
    exported = json.loads(run("data", "export", "--data-dir", str(tmp_path)).output)
    assert len(exported["events"]) == 3 and exported["profile"] == {"role": "analyst"}
    refused = CliRunner().invoke(main, ["data", "erase", "--data-dir", str(tmp_path)], input="n\n")
    assert refused.exit_code == 1
    assert len(json.loads(run("data", "export", "--data-dir", str(tmp_path)).output)["events"]) == 3
    assert "erased 3 events" in run("data", "erase", "--data-dir", str(tmp_path), "--yes").output
    assert json.loads(run("data", "export", "--data-dir", str(tmp_path)).output) == {"events": [], "profile": {"role": None}}


def test_missing_data_dir_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["data", "export", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no Inflow data" in result.output
