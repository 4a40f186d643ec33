"""Lesson Markdown to sanitised HTML, rendered when a lesson is opened (not at build time: rendering
every lesson made a 10k-lesson rebuild ~9 s slower)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def render_html(markdown: str) -> str:
    """Lesson body as sanitised HTML (no scripts, styles or event handlers survive)."""
    return nh3.clean(_markdown.render(markdown), link_rel="noopener noreferrer nofollow")
