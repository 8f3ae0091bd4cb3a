"""JSON-LD data blocks (`<script type="application/ld+json">`) for structured data.

A data block is never executed, so the site's CSP (no inline scripts) leaves it alone; what
matters is that no text inside can end the element. Django's `json_script` escapes for that
but always writes `type="application/json"`; this writes the same escapes under the JSON-LD
type.
"""

import json
from collections.abc import Mapping

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# What django.utils.html.json_script escapes: "</script>" and "<!--" cannot appear, and the
# text reads the same to an HTML parser in any state.
ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data: Mapping[str, object]) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
