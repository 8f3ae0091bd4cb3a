"""Markdown from people, as HTML that is safe to show: Python-Markdown renders it and
nh3 (the Ammonia sanitizer) keeps only the tags and attributes below."""

import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.treeprocessors import Treeprocessor

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


# Raw HTML as Python-Markdown stashes it: a tag, not an entity ("&amp;") or a comment.
RAW_TAG = re.compile(r"\s*</?[a-zA-Z]")
# A scheme as a browser reads it, which ignores whitespace and controls inside it.
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]")


def render_markdown(text: str) -> SafeString:
    """`text` as sanitized HTML: raw HTML in it is dropped, not passed on; links get
    rel="nofollow noopener noreferrer"; control characters (which XML, and so the Atom
    feed, cannot carry) are dropped."""
    html = markdown.markdown(
        _plain(text),
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


def refused_markup(text: str) -> list[str]:
    """What `render_markdown` would drop from `text` as unsafe, for a form to refuse it with
    a clear message rather than drop it unseen: raw HTML tags (a script, an image with an
    onerror handler) and link addresses in schemes other than those above (javascript:,
    data:). Python-Markdown finds them, so code spans and blocks stay text."""
    parser = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    addresses = _RefusedAddresses(parser)
    # After the inline patterns (priority 20), which make the links.
    parser.treeprocessors.register(addresses, "copf-refused-addresses", 1)
    parser.convert(_plain(text))
    tags = [
        raw.strip()
        for raw in parser.htmlStash.rawHtmlBlocks
        if isinstance(raw, str) and RAW_TAG.match(raw)
    ]
    return tags + addresses.found


class _RefusedAddresses(Treeprocessor):
    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.found: list[str] = []

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                address = element.get(attribute)
                if address is None:
                    continue
                scheme = SCHEME.match(IGNORED_IN_SCHEME.sub("", address).lower())
                if scheme and scheme[1] not in URL_SCHEMES:
                    self.found.append(address)


def _plain(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
