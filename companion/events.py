"""The learning event log: SQLite in WAL mode, numbered migrations, idempotent on the client's event id.

Only lesson id, event type, time and host are kept — never page text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

import sqlite_utils

EVENT_TYPES = (
    "shown", "viewed", "applied", "dismissed", "snoozed", "helpful", "not_helpful", "check_passed",
    "check_failed",
)

MIGRATIONS = (
    # 1: the event log
    """
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        request_id TEXT,
        host TEXT,
        value REAL,
        ts TEXT NOT NULL,
        received TEXT NOT NULL
    );
    CREATE INDEX events_lesson ON events (lesson_id, type);
    CREATE INDEX events_ts ON events (ts);
    """,
    # 2: pages where nothing was good enough: redacted keywords only, and only when enabled
    """
    CREATE TABLE content_gaps (
        id INTEGER PRIMARY KEY,
        host TEXT,
        keywords TEXT NOT NULL,
        ts TEXT NOT NULL
    );
    """,
    # 3: the learner's profile (one row per key)
    """
    CREATE TABLE profile (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ts(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class EventStore:
    """Thread-safe access to ``events.db``; every acknowledged write is committed with a full fsync."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.db = sqlite_utils.Database(self.conn)
        self.lock = threading.Lock()
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        with self.lock:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self.conn.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def add(self, events: Iterable[dict]) -> tuple[int, int]:
        """Store validated events in one transaction; return (accepted, duplicates by id)."""
        received = iso(utcnow())
        rows = [
            (e["id"], e["type"], e["lesson_id"], e.get("request_id"), e.get("host"), e.get("value"),
             e.get("ts") or received, received)
            for e in events
        ]
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                before = self.conn.total_changes
                self.conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                accepted = self.conn.total_changes - before
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return accepted, len(rows) - accepted

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def suppressed(self, host: str, now: dt.datetime, dismiss_days: int, snooze_days: int) -> set[str]:
        """Lessons the person dismissed lately, or snoozed on this host."""
        rows = self.query(
            "SELECT DISTINCT lesson_id FROM events WHERE (type = 'dismissed' AND ts >= ?) "
            "OR (type = 'snoozed' AND host = ? AND ts >= ?)",
            (iso(now - dt.timedelta(days=dismiss_days)), host, iso(now - dt.timedelta(days=snooze_days))),
        )
        return {r[0] for r in rows}

    def shown_since(self, since: dt.datetime) -> int:
        return self.query("SELECT COUNT(*) FROM events WHERE type = 'shown' AND ts >= ?", (iso(since),))[0][0]

    def counts_by_lesson(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self.query("SELECT lesson_id, type, COUNT(*) FROM events GROUP BY lesson_id, type"):
            out.setdefault(row[0], {})[row[1]] = row[2]
        return out

    def history(self, types: tuple[str, ...]) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(types))
        return self.query(f"SELECT lesson_id, type, ts FROM events WHERE type IN ({marks}) ORDER BY ts", types)

    def all_events(self, since: str | None = None) -> list[dict]:
        sql = "SELECT * FROM events" + (" WHERE ts >= ?" if since else "") + " ORDER BY ts"
        return [dict(r) for r in self.query(sql, (since,) if since else ())]

    def record_gap(self, host: str, keywords: list[str]) -> None:
        with self.lock:
            self.db["content_gaps"].insert({"host": host, "keywords": " ".join(keywords), "ts": iso(utcnow())})

    def get_profile(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM profile WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_profile(self, key: str, value: str) -> None:
        with self.lock:
            self.db["profile"].upsert({"key": key, "value": value}, pk="key")

    def purge(self, older_than_days: int) -> int:
        """Delete events and content-gap records older than the retention period."""
        cutoff = iso(utcnow() - dt.timedelta(days=older_than_days))
        with self.lock:
            removed = self.conn.execute("DELETE FROM events WHERE ts < ?", (cutoff,)).rowcount
            self.conn.execute("DELETE FROM content_gaps WHERE ts < ?", (cutoff,))
        return removed

    def erase(self) -> None:
        with self.lock:
            self.conn.executescript("BEGIN; DELETE FROM events; DELETE FROM content_gaps; DELETE FROM profile; COMMIT;")
