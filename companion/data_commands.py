"""Data portability: ``inflow data export|erase`` and ``inflow export xapi``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import click

from .config import Paths, data_dir
from .events import EventStore, iso
from .index_commands import data_option

XAPI_VERBS = {
    "shown": "http://adlnet.gov/expapi/verbs/experienced",
    "viewed": "http://id.tincanapi.com/verb/viewed",
    "applied": "http://adlnet.gov/expapi/verbs/completed",
    "dismissed": "http://id.tincanapi.com/verb/skipped",
    "snoozed": "http://id.tincanapi.com/verb/skipped",
    "helpful": "http://id.tincanapi.com/verb/rated",
    "not_helpful": "http://id.tincanapi.com/verb/rated",
    "check_passed": "http://adlnet.gov/expapi/verbs/passed",
    "check_failed": "http://adlnet.gov/expapi/verbs/failed",
}
LEARNER = {"objectType": "Agent", "account": {"homePage": "urn:inflow:local", "name": "learner"}}


def open_store(data: Path | None) -> EventStore:
    paths = Paths(data_dir(data))
    if not paths.events.is_file():
        raise click.ClickException(f"no Inflow data in {paths.root}")
    return EventStore(paths.events)


def statement(event: dict) -> dict:
    """One event as an xAPI 1.0.3 statement (no page text: lesson, verb, time, host only)."""
    try:
        statement_id = str(uuid.UUID(event["id"]))
    except ValueError:
        statement_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:inflow:event:{event['id']}"))
    out = {
        "id": statement_id,
        "actor": LEARNER,
        "verb": {"id": XAPI_VERBS[event["type"]], "display": {"en-US": event["type"].replace("_", " ")}},
        "object": {"objectType": "Activity", "id": f"urn:inflow:lesson:{event['lesson_id']}"},
        "timestamp": event["ts"],
    }
    if event["type"] in ("helpful", "not_helpful"):
        out["result"] = {"score": {"scaled": 1.0 if event["type"] == "helpful" else -1.0}}
    if event["type"].startswith("check_"):
        out["result"] = {"success": event["type"] == "check_passed"}
    if event.get("host"):
        out["context"] = {"platform": event["host"]}
    return out


def since_option(func):
    return click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                        help="Only events on or after this date (YYYY-MM-DD).")(func)


def since_iso(since: dt.datetime | None) -> str | None:
    return iso(since.replace(tzinfo=dt.timezone.utc)) if since else None


@click.group("export")
def export_group() -> None:
    """Export learning records in standard formats."""


@export_group.command("xapi")
@data_option
@since_option
def export_xapi(data: Path | None, since: dt.datetime | None) -> None:
    """Print events as a JSON array of xAPI statements (for an LRS)."""
    events = open_store(data).all_events(since_iso(since))
    click.echo(json.dumps([statement(e) for e in events], indent=2))


@click.group("data")
def data_group() -> None:
    """Your data: export everything Inflow stored, or erase it."""


@data_group.command("export")
@data_option
@since_option
def data_export(data: Path | None, since: dt.datetime | None) -> None:
    """Print every stored event and the profile as JSON."""
    store = open_store(data)
    events = store.all_events(since_iso(since))
    click.echo(json.dumps({"events": events, "profile": {"role": store.get_profile("role")}}, indent=2))


@data_group.command("erase")
@data_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def data_erase(data: Path | None, yes: bool) -> None:
    """Delete all events, content-gap records and the profile (the index and token stay)."""
    store = open_store(data)
    count = len(store.all_events())
    if not yes:
        click.confirm(f"Erase {count} events and your profile?", abort=True)
    store.erase()
    store.conn.execute("VACUUM")
    click.echo(f"erased {count} events")

