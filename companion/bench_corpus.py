"""Deterministic synthetic lessons and page contexts for ``inflow bench`` (work-tool vocabulary)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class App:
    name: str
    host: str
    path: str
    objects: tuple[str, ...]
    actions: tuple[str, ...]
    chrome: tuple[str, ...]  # navigation labels a real page of this app shows around the content


APPS = (
    App("GitHub", "github.com", "/acme/api/pull/{n}",
        ("pull request", "code review", "branch protection rule", "workflow run", "issue template", "release",
         "merge conflict", "CODEOWNERS file", "draft pull request", "Actions secret", "commit history", "fork"),
        ("request reviewers for", "squash and merge", "re-run", "link an issue to", "resolve", "label",
         "protect", "cherry-pick", "rebase", "approve", "revert", "search"),
        ("Code", "Issues", "Pull requests", "Actions", "Projects", "Security", "Insights", "Settings")),
    App("Google Sheets", "docs.google.com", "/spreadsheets/d/{n}/edit",
        ("pivot table", "VLOOKUP formula", "conditional formatting rule", "filter view", "header row",
         "named range", "data validation dropdown", "chart", "QUERY function", "protected range",
         "duplicate rows", "IMPORTRANGE link"),
        ("build", "freeze", "sort", "summarise", "highlight", "remove", "share", "protect", "chart",
         "deduplicate", "validate", "import"),
        ("File", "Edit", "View", "Insert", "Format", "Data", "Tools", "Extensions", "Help")),
    App("Jira", "acme.atlassian.net", "/browse/PROJ-{n}",
        ("sprint", "epic", "story points estimate", "JQL filter", "board column", "backlog item",
         "release version", "automation rule", "subtask", "blocked issue", "component", "dashboard gadget"),
        ("plan", "estimate", "triage", "close", "split", "move", "link", "watch", "bulk edit", "rank",
         "assign", "report on"),
        ("Your work", "Projects", "Filters", "Dashboards", "Teams", "Apps", "Create", "Backlog", "Board")),
    App("Confluence", "acme.atlassian.net", "/wiki/spaces/ENG/pages/{n}",
        ("meeting notes page", "decision log", "page template", "inline comment", "page restriction",
         "Jira issues macro", "table of contents", "space permissions", "page tree", "status lozenge",
         "task list", "how-to article"),
        ("publish", "restrict", "comment on", "archive", "template", "embed", "mention people in",
         "reorganise", "watch", "export", "tag", "review"),
        ("Spaces", "People", "Create", "Templates", "Recent", "Starred", "Page tree", "Share")),
    App("Gmail", "mail.google.com", "/mail/u/0/#inbox/{n}",
        ("filter", "label", "scheduled email", "email template", "confidential mode message", "snoozed thread",
         "out-of-office reply", "signature", "attachment", "mailing list", "archived conversation", "alias"),
        ("schedule", "snooze", "filter", "label", "archive", "forward", "mute", "search for", "unsubscribe from",
         "template", "recall", "delegate"),
        ("Compose", "Inbox", "Starred", "Snoozed", "Sent", "Drafts", "More", "Labels", "Settings")),
    App("Slack", "app.slack.com", "/client/T0{n}/C0{n}",
        ("thread", "channel", "reminder", "huddle", "workflow", "scheduled message", "status", "canvas",
         "shared channel", "saved item", "keyword notification", "user group"),
        ("start", "mute", "pin", "remind me about", "schedule", "search", "archive", "set", "share",
         "bookmark", "follow", "summarise"),
        ("Home", "DMs", "Activity", "Later", "More", "Channels", "Direct messages", "Apps")),
    App("Salesforce", "acme.lightning.force.com", "/lightning/r/Opportunity/{n}/view",
        ("lead", "opportunity", "account", "contact role", "list view", "report", "dashboard", "forecast",
         "activity history", "approval process", "quote", "campaign"),
        ("convert", "qualify", "update", "log a call on", "clone", "close", "forecast", "assign", "merge",
         "report on", "share", "follow up on"),
        ("Home", "Leads", "Accounts", "Contacts", "Opportunities", "Reports", "Dashboards", "Forecasts")),
    App("Figma", "www.figma.com", "/design/{n}/Checkout",
        ("component", "auto layout frame", "variant", "prototype link", "design token", "comment",
         "dev mode annotation", "style", "constraint", "library", "version history", "export setting"),
        ("create", "publish", "detach", "annotate", "prototype", "inspect", "resize", "rename", "swap",
         "hand off", "restore", "export"),
        ("File", "Assets", "Layers", "Design", "Prototype", "Inspect", "Share", "Present")),
    App("Zendesk", "acme.zendesk.com", "/agent/tickets/{n}",
        ("ticket", "macro", "view", "SLA policy", "internal note", "satisfaction rating", "trigger",
         "help center article", "tag", "escalation", "merge request", "customer context"),
        ("escalate", "merge", "tag", "assign", "solve", "apply a macro to", "follow", "prioritise", "link",
         "reopen", "translate", "review"),
        ("Views", "Customers", "Organizations", "Reporting", "Admin", "Knowledge", "Conversations")),
    App("Notion", "www.notion.so", "/acme/Roadmap-{n}",
        ("database", "linked view", "template button", "relation property", "rollup", "synced block",
         "page permission", "formula property", "board view", "timeline", "toggle list", "mention"),
        ("filter", "relate", "sync", "template", "group", "share", "lock", "duplicate", "sort", "embed",
         "archive", "link"),
        ("Search", "Updates", "Settings", "New page", "Templates", "Import", "Trash", "Teamspaces")),
)

OPENINGS = (
    "Teams lose time when nobody knows how to {action} the {obj} properly.",
    "A {obj} that is set up well saves everyone a round of questions later.",
    "Most people only discover this after a deadline slips because of a {obj}.",
    "Doing this right keeps the {obj} readable for the whole team.",
    "New joiners often ask how to {action} a {obj}; here is the short version.",
)
STEPS = (
    "Open the {obj} from the {menu} menu and check who owns it.",
    "Choose {action} and confirm the defaults before you change anything.",
    "Add a clear name so the {obj} is easy to find in search later.",
    "Use the keyboard shortcut shown in the tooltip instead of the mouse.",
    "Check the preview, then save and tell the people who depend on it.",
    "If you work with a {other}, link it so the context stays in one place.",
    "Set a reminder to review the {obj} at the end of the sprint.",
    "Ask a teammate to try it once, then write down what confused them.",
    "Filter by owner and date so only the relevant {obj} entries remain.",
    "Remove anything stale first; a short list is easier to {action}.",
)
CLOSINGS = (
    "Try it now on the {obj} you have open and compare the result with the old way.",
    "Try it now: {action} one {obj} today and note how long it took.",
    "Try it now with a low-risk {obj} before you use it on shared work.",
)
SITUATIONS = (
    "{person} asked you to {action} the {obj} before the review and you are not sure where to start",
    "Typing 'how do I {action} this {obj} again?' into the team chat for the third time this month",
    "The {obj} you open every morning in the {menu} view is out of date and nobody owns it",
    "You are about to {action} a {obj} by hand, one at a time, while {person} waits for the result",
    "A teammate says the {obj} looks different since you changed it and wants to know what happened",
    "Scrolling through the {menu} list looking for the {obj} {person} mentioned in yesterday's call",
    "Copying details from the {other} into the {obj} because the two never stay in sync",
)
LEVELS = ("beginner", "intermediate", "advanced")
FILLER = ("Sign in", "Help", "Feedback", "Privacy", "Terms", "Keyboard shortcuts", "Notifications",
          "What's new", "Settings", "Search", "Recent", "Starred", "Share", "Copy link", "Last edited by Dana",
          "Updated 3 minutes ago", "Page 1 of 4", "Show more", "Load older", "Press ? for help")
PEOPLE = ("Dana", "Ravi", "Mei", "Jonas", "Aisha", "Tom", "Lucía", "Kwame")


def _fill(template: str, rng: random.Random, app: App, obj: str, action: str) -> str:
    return template.format(obj=obj, action=action, menu=rng.choice(app.chrome), other=rng.choice(app.objects),
                           person=rng.choice(PEOPLE))


def lesson_file(index: int, rng: random.Random) -> tuple[str, str]:
    """One lesson (id, file text) of about 120 words and 5 situations for a random app, object and action."""
    app = APPS[index % len(APPS)]
    obj, action = rng.choice(app.objects), rng.choice(app.actions)
    lesson_id = f"bench-{index:07d}"
    steps = rng.sample(STEPS, 5)
    body = "\n".join([
        "## Why it matters", _fill(rng.choice(OPENINGS), rng, app, obj, action),
        f"In {app.name} this takes a minute once you know where to look.", "", "## Steps",
        *(f"{n}. {_fill(step, rng, app, obj, action)}" for n, step in enumerate(steps, 1)), "", "## Try it now",
        _fill(rng.choice(CLOSINGS), rng, app, obj, action),
    ])
    meta = {
        "id": lesson_id,
        "title": f"{action.capitalize()} a {obj} in {app.name}",
        "summary": f"How to {action} a {obj} in {app.name} without losing your place.",
        "skills": [app.name.lower().replace(" ", "-")],
        "apps": [app.host],
        "keywords": [obj, action, app.name],
        "situations": [_fill(template, rng, app, obj, action) for template in rng.sample(SITUATIONS, 5)],
        "level": LEVELS[index % 3],
        "minutes": 2 + index % 4,
    }
    return lesson_id, "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body + "\n"


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[str]:
    """Write ``count`` lessons into ``folder/lessons`` and return their ids (same seed, same files)."""
    rng = random.Random(seed)
    lessons = folder / "lessons"
    lessons.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(count):
        lesson_id, text = lesson_file(index, rng)
        (lessons / f"{lesson_id}.md").write_text(text, encoding="utf-8")
        ids.append(lesson_id)
    return ids


def page_context(rng: random.Random, words: int) -> dict:
    """A ``/tips`` body imitating a work page: app chrome, a task in progress, about ``words`` words of text."""
    app = rng.choice(APPS)
    obj, action = rng.choice(app.objects), rng.choice(app.actions)
    person = rng.choice(PEOPLE)
    sentences = [
        f"{person} asked how to {action} the {obj} before the review on {rng.choice(('Monday', 'Friday'))}.",
        f"I am trying to {action} this {obj} but the {rng.choice(app.objects)} keeps getting in the way.",
        f"Status: in progress, {rng.randint(2, 40)} comments, owner {person}.",
        _fill(rng.choice(STEPS), rng, app, obj, action),
    ]
    text: list[str] = []
    while len(text) < words:
        pick = rng.random()
        if pick < 0.35:
            text.extend(rng.choice(sentences).split())
        elif pick < 0.7:
            text.extend(rng.choice(app.chrome).split() + rng.choice(FILLER).split())
        else:
            text.extend(_fill(rng.choice(STEPS + OPENINGS), rng, app, rng.choice(app.objects),
                              rng.choice(app.actions)).split())
    return {
        "url": f"https://{app.host}{app.path.format(n=rng.randint(100, 99999))}",
        "title": f"{obj.capitalize()} · {app.name}",
        "text": " ".join(text[:words]),
        "headings": [rng.choice(app.chrome), obj.capitalize()],
    }


def page_contexts(count: int, words: int, seed: int = 11) -> list[dict]:
    """``count`` distinct page contexts of about ``words`` words each."""
    rng = random.Random(seed * 1000 + words)
    return [page_context(rng, words) for _ in range(count)]
