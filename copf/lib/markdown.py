"""Markdown from people, as HTML that is safe to show: Python-Markdown renders it and
nh3 (the Ammonia sanitizer) keeps only the tags and attributes below."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from .text import CONTROL_CHARACTERS

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h4", "h5", "h6", "a", "hr",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# The text sits under a page's own headings (h1 page, h2 section, h3 part), so its "#"
# is an h4; "toc" is Python-Markdown's own way to shift them (its ids are dropped below,
# and no "[TOC]" marker is looked for).
EXTENSIONS = ["sane_lists", "toc"]
EXTENSION_CONFIGS = {"toc": {"baselevel": 4, "marker": ""}}


def render_markdown(text: str) -> SafeString:
    """`text` as sanitized HTML: raw HTML in it is dropped, not passed on; links get
    rel="nofollow noopener noreferrer"; control characters (which XML, and so the Atom
    feed, cannot carry) are dropped."""
    html = markdown.markdown(
        CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")),
        extensions=EXTENSIONS,
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has just sanitized it
