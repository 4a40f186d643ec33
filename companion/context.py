"""Turn a page context into what ranking searches with: focused text chunks and salient words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours also get got using use used want way make one new via""".split()
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#'-]*[A-Za-z0-9+#]|[A-Za-z]")
SENTENCE_END = re.compile(r"(?<=[.?!:;])\s+|\n+|\s{2,}|\s[|·•›»]\s")
TITLE_SEPARATORS = re.compile(r"\s+[|·•–—-]\s+")


@dataclass
class PageContext:
    """What the extension sends about a page (already redacted on the client)."""

    url: str = ""
    title: str = ""
    text: str = ""
    selection: str = ""
    headings: list[str] = field(default_factory=list)
    description: str = ""

    @cached_property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @cached_property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def words(text: str) -> list[str]:
    return WORD.findall(text)


def salient_terms(text: str, limit: int = 48) -> list[str]:
    """Distinct lower-cased content words, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in words(text):
        lower = word.lower()
        if lower not in STOPWORDS and len(lower) > 1:
            seen.setdefault(lower, None)
    return list(seen)[:limit]


def windows(text: str, max_words: int) -> list[str]:
    """Consecutive sentences packed into windows of at most ``max_words`` words."""
    out: list[str] = []
    window: list[str] = []
    for piece in SENTENCE_END.split(text):
        piece_words = piece.split()
        if window and len(window) + len(piece_words) > max_words:
            out.append(" ".join(window))
            window = []
        window.extend(piece_words[: max_words * 2])
        if len(window) >= max_words:
            out.append(" ".join(window))
            window = []
    out.append(" ".join(window))
    return out


def query_chunks(ctx: PageContext, max_words: int = 16, max_chunks: int = 20) -> list[tuple[str, bool]]:
    """Short passages to embed, each flagged ``fixed`` (what the person selected or is typing) or not
    (title, headings, sentence windows of the page text).

    Page text mixes navigation labels with what the person is doing; embedding passages separately and
    keeping each lesson's best match stops the noise from diluting the one sentence that matters.
    """
    chunks: dict[str, bool] = {}
    passages = [(w, True) for w in windows(ctx.selection, max_words)]
    passages += [(ctx.title, False), (" ".join(ctx.headings[:6]), False)]
    passages += [(w, False) for w in windows(ctx.text, max_words)]
    for text, fixed in passages:
        text = " ".join(text.split())
        if len(words(text)) >= 2:
            chunks.setdefault(text, fixed)
    return list(chunks.items())[:max_chunks]


def prose_score(text: str) -> float:
    """How much a passage reads like a sentence (1.0) rather than menu labels (0.0).

    Sentences carry function words ("how", "to", "the"); navigation is runs of capitalised labels.
    """
    tokens = words(text)
    if not tokens:
        return 0.0
    function_words = sum(1 for t in tokens if t.lower() in STOPWORDS) / len(tokens)
    return min(1.0, function_words / 0.25)


def prose_first(text: str, max_words: int = 16) -> str:
    """The text's sentence windows, those that read most like sentences first (in page order otherwise):
    what a person wrote comes before the menus around it, so a reader that stops early still sees it."""
    return " ".join(sorted((w for w in windows(text, max_words) if w), key=prose_score, reverse=True))


def host_matches(host: str, pattern: str) -> bool:
    """``github.com`` matches itself; ``*.atlassian.net`` matches any subdomain (and the bare domain)."""
    if pattern.startswith("*."):
        return host == pattern[2:] or fnmatchcase(host, pattern)
    return fnmatchcase(host, pattern)


def path_matches(path: str, pattern: str) -> bool:
    """Path globs: ``*`` matches within and across segments (``/*/*/pull/*``)."""
    return fnmatchcase(path.rstrip("/") or "/", pattern.rstrip("/") or "/") or fnmatchcase(path, pattern)
