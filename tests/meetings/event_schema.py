"""JSON Schema for the subset of schema.org we put on meeting and series pages, and helpers
to read it back out of a page the way a link preview or a search engine does."""

import json
import re
from datetime import datetime, timedelta
from html import unescape

from jsonschema import Draft202012Validator

ONLINE = "https://schema.org/OnlineEventAttendanceMode"
STATUSES = [
    "https://schema.org/EventScheduled",
    "https://schema.org/EventCancelled",
    "https://schema.org/EventRescheduled",
]
RESCHEDULED = STATUSES[2]
# ISO 8601 with seconds and an explicit offset; parsed again in `assert_valid`.
ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "url": {"type": "string", "pattern": r"^https?://[^\s]+$"},
        "date": {"type": "string", "pattern": ISO_WITH_OFFSET},
        "organizer": {
            "type": "object",
            "required": ["@type", "name", "url"],
            "properties": {
                "@type": {"const": "Organization"},
                "name": {"const": "CoP-F (Community of Practice for Facilitators)"},
                "url": {"$ref": "#/$defs/url"},
            },
            "additionalProperties": False,
        },
        "event": {
            "type": "object",
            "required": [
                "@type",
                "name",
                "description",
                "startDate",
                "endDate",
                "eventAttendanceMode",
                "eventStatus",
                "location",
                "organizer",
                "url",
                "isAccessibleForFree",
            ],
            "properties": {
                "@context": {"const": "https://schema.org"},
                "@type": {"const": "Event"},
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
                "startDate": {"$ref": "#/$defs/date"},
                "endDate": {"$ref": "#/$defs/date"},
                "previousStartDate": {"$ref": "#/$defs/date"},
                "eventAttendanceMode": {"const": ONLINE},
                "eventStatus": {"enum": STATUSES},
                "location": {
                    "type": "object",
                    "required": ["@type", "url"],
                    "properties": {
                        "@type": {"const": "VirtualLocation"},
                        "url": {"$ref": "#/$defs/url"},
                    },
                    "additionalProperties": False,
                },
                "organizer": {"$ref": "#/$defs/organizer"},
                "url": {"$ref": "#/$defs/url"},
                "isAccessibleForFree": {"const": True},
            },
            "additionalProperties": False,
            # A previous start belongs to a rescheduled event, and only to one.
            "if": {"properties": {"eventStatus": {"const": RESCHEDULED}}},
            "then": {"required": ["previousStartDate"]},
            "else": {"not": {"required": ["previousStartDate"]}},
        },
        "meeting": {"$ref": "#/$defs/event", "required": ["@context"]},
        "series": {
            "type": "object",
            "required": [
                "@context",
                "@type",
                "name",
                "description",
                "url",
                "organizer",
                "eventAttendanceMode",
                "subEvent",
            ],
            "properties": {
                "@context": {"const": "https://schema.org"},
                "@type": {"const": "EventSeries"},
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
                "url": {"$ref": "#/$defs/url"},
                "organizer": {"$ref": "#/$defs/organizer"},
                "eventAttendanceMode": {"const": ONLINE},
                "subEvent": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {"$ref": "#/$defs/event", "not": {"required": ["@context"]}},
                },
            },
            "additionalProperties": False,
        },
    },
    "oneOf": [{"$ref": "#/$defs/meeting"}, {"$ref": "#/$defs/series"}],
}
Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = Draft202012Validator(SCHEMA)
CARD_TAGS = {"description"}
DATES = ("startDate", "endDate", "previousStartDate")
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def assert_valid(data: dict) -> None:
    """`data` matches the schema, and every date parses with an offset of UTC."""
    errors = [error.message for error in VALIDATOR.iter_errors(data)]
    assert errors == []
    for event in [data, *data.get("subEvent", [])]:
        for name in DATES:
            if name in event:
                moment = datetime.fromisoformat(event[name])
                assert moment.utcoffset() == timedelta(0), (name, event[name])
        if "endDate" in event:
            assert event["endDate"] > event["startDate"]


def json_ld_of(html: str) -> dict:
    """The page's one JSON-LD block, parsed."""
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def meta_of(html: str) -> dict[str, str]:
    """The page's card tags (description, og:…, twitter:…) and its canonical link."""
    head = html.split("</head>")[0]
    tags = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', head)
    found = {key: unescape(value) for key, value in tags if key in CARD_TAGS or ":" in key}
    canonical = re.findall(r'<link rel="canonical" href="([^"]*)">', head)
    if canonical:
        found["canonical"] = canonical[0]
    return found
