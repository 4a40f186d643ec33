"""From events to learning state: skill evidence, gaps against a role, and FSRS reinforcement dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import fsrs

from content_index.store import LessonIndex

from .events import EventStore, iso, parse_ts
from .ranking import Learner

REVIEW_RATINGS = {
    "applied": fsrs.Rating.Good,
    "check_passed": fsrs.Rating.Good,
    "check_failed": fsrs.Rating.Again,
    "not_helpful": fsrs.Rating.Hard,
}
EVIDENCE_TYPES = ("applied", "check_passed")
LEVEL_AT = (1, 3, 6)  # distinct lessons of evidence needed for skill level 1, 2, 3


def skill_level(evidence: int) -> int:
    return sum(1 for needed in LEVEL_AT if evidence >= needed)


@dataclass
class Progress:
    evidence: dict[str, set[str]] = field(default_factory=dict)  # skill -> lessons applied or passed
    due: dict[str, dt.datetime] = field(default_factory=dict)     # lesson -> next reinforcement

    def level(self, skill: str) -> int:
        return skill_level(len(self.evidence.get(skill, ())))


def compute_progress(events: EventStore, index: LessonIndex) -> Progress:
    """Replay evidence events: count skills, schedule each practised lesson with FSRS."""
    scheduler = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    cards: dict[str, fsrs.Card] = {}
    progress = Progress()
    for row in events.history(tuple(REVIEW_RATINGS)):
        lesson_id, kind, ts = row["lesson_id"], row["type"], parse_ts(row["ts"])
        card = cards.get(lesson_id) or fsrs.Card()
        cards[lesson_id], _ = scheduler.review_card(card, REVIEW_RATINGS[kind], ts)
        row_number = index.row_of.get(lesson_id)
        if kind in EVIDENCE_TYPES and row_number is not None:
            for skill in index.lessons[row_number]["skills"]:
                progress.evidence.setdefault(skill, set()).add(lesson_id)
    progress.due = {lesson_id: card.due for lesson_id, card in cards.items()}
    return progress


def learner_state(events: EventStore, index: LessonIndex, role_id: str | None, now: dt.datetime,
                  dismiss_days: int, snooze_days: int, host: str) -> Learner:
    """What ranking needs: gaps for the role, and lessons to hold back (dismissed, snoozed, not yet due)."""
    progress = compute_progress(events, index)
    role = index.roles.get(role_id or "")
    gaps = {}
    if role:
        gaps = {skill: target - progress.level(skill) for skill, target in role["skills"].items()
                if target > progress.level(skill)}
    not_due = {lesson for lesson, due in progress.due.items() if due > now}
    suppressed = events.suppressed(host, now, dismiss_days, snooze_days) | not_due
    return Learner(gaps=gaps, role_title=role["title"] if role else "", suppressed=suppressed)


def progress_report(events: EventStore, index: LessonIndex, role_id: str | None, now: dt.datetime) -> dict:
    """The ``GET /progress`` document."""
    progress = compute_progress(events, index)
    role = index.roles.get(role_id or "")
    targets = role["skills"] if role else {}
    skills = sorted(set(targets) | set(progress.evidence))
    counts = events.counts_by_lesson()
    totals: dict[str, int] = {}
    for per_type in counts.values():
        for kind, count in per_type.items():
            totals[kind] = totals.get(kind, 0) + count
    due = sorted((d, lesson) for lesson, d in progress.due.items() if d <= now and lesson in index.row_of)
    return {
        "role": {"id": role["id"], "title": role["title"]} if role else None,
        "skills": [
            {"id": s, "level": progress.level(s), "target": targets.get(s), "evidence": sorted(progress.evidence.get(s, ()))}
            for s in skills
        ],
        "events": totals,
        "lessons": {lesson: per_type for lesson, per_type in counts.items()},
        "due": [{"lesson_id": lesson, "title": index.lessons[index.row_of[lesson]]["title"], "due": iso(d)}
                for d, lesson in due],
    }
