"""Plain text from people: no control characters, so nothing can break feeds or mail."""

import re

from django.db import models

# C0 and C1 controls, DEL and the Unicode line/paragraph separators; tabs and newlines are
# handled separately because multi-line text keeps its newlines.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
LINE_BREAKS = re.compile(r"[\r\n\t]+")


def clean_text(text: str, *, multiline: bool = False) -> str:
    """`text` without control characters; single-line text also loses line breaks."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    else:
        text = LINE_BREAKS.sub(" ", text)
    return CONTROL_CHARACTERS.sub("", text)


class CleanTextMixin:
    """A model field that strips control characters on the way in, from forms and code."""

    multiline = False

    def to_python(self, value: object) -> object:
        value = super().to_python(value)
        return clean_text(value, multiline=self.multiline) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = clean_text(value, multiline=self.multiline)
            setattr(model_instance, self.attname, value)
        return value


class LineField(CleanTextMixin, models.CharField):
    """One line of text: a title or a name."""


class ParagraphsField(CleanTextMixin, models.TextField):
    """Free text that keeps its newlines: a description."""

    multiline = True
