"""Harvest text in templates: `{{ text|markdown }}` renders Markdown safely
(copf.lib.markdown); `harvest|harvest_text` and `revision|revision_text` give what a harvest
says now or what a revision kept, for `practice/_harvest_text.html`; `{% harvest_authors
harvest as names %}` who wrote it."""

from django import template
from django.utils.safestring import SafeString

from copf.lib.markdown import render_markdown

from ..models import Harvest, HarvestRevision
from ..practice import harvests

register = template.Library()


@register.filter(is_safe=True)
def markdown(text: object) -> SafeString:
    return render_markdown(str(text or ""))


@register.filter
def harvest_text(harvest: Harvest | None) -> harvests.HarvestText:
    return harvests.harvest_text(harvest)


@register.filter
def revision_text(revision: HarvestRevision) -> harvests.HarvestText:
    return harvests.HarvestText.from_content(revision.content)


@register.simple_tag
def harvest_authors(harvest: Harvest) -> list[str]:
    return harvests.authors(harvest)
