"""Forms for the practice: a role, an agenda proposal and its decision on the meeting page;
and the harvest form, without JavaScript: the three Markdown texts, the consent decisions as
one formset and their objections as another, each objection naming its decision by number.
Blank rows are left out; the form comes back with fresh blank rows after every save."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from copf.lib.markdown import refused_markup
from copf.lib.text import CONTROL_CHARACTERS, clean_text

from ..models import AgendaItem, HarvestDecision, HarvestObjection
from ..models.practice import MAX_AGENDA_MINUTES, MAX_HARVEST_TEXT
from .harvests import Decision, HarvestText, Objection

MAX_DECISIONS = 20
MAX_OBJECTIONS = 60
BLANK_ROWS = 2
DECISION_LENGTH = HarvestDecision._meta.get_field("proposal").max_length
OBJECTION_LENGTH = HarvestObjection._meta.get_field("objection").max_length
INTEGRATION_LENGTH = HarvestObjection._meta.get_field("integration").max_length


class RoleForm(forms.Form):
    role = forms.SlugField(max_length=40)


class AssignForm(RoleForm):
    member = forms.IntegerField(min_value=1)


class MarkForm(forms.Form):
    member = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    presence = forms.ChoiceField(choices=[("present", "present"), ("absent", "absent")])


class ProposalForm(forms.ModelForm):
    minutes = forms.IntegerField(
        label=_("Minutes it needs"), min_value=1, max_value=MAX_AGENDA_MINUTES
    )

    class Meta:
        model = AgendaItem
        fields = ("title", "description", "minutes")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AgendaDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


def refuse_markup(text: str, message: str, *, max_length: int) -> None:
    """Script or HTML in a harvest is refused with a message that shows it, not dropped
    unseen (the page would drop it anyway: copf.lib.markdown). Text over the limit is
    refused for its length, unparsed."""
    if len(text) > max_length:
        return
    found = refused_markup(text)
    if found:
        shown = ", ".join(f"“{part[:40]}{'…' if len(part) > 40 else ''}”" for part in found[:3])
        raise ValidationError(message, code="markup", params={"found": shown})


class TextField(forms.CharField):
    """Free text from a textarea: line ends as "\\n" (so the length counted is the one
    stored), no control characters and no HTML."""

    def __init__(self, *, rows: int = 4, **kwargs: object) -> None:
        kwargs.setdefault("required", False)
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

    def to_python(self, value: object) -> str:
        return clean_text(super().to_python(value), multiline=True)

    def validate(self, value: str) -> None:
        super().validate(value)
        refuse_markup(
            value,
            _("Write plain text, without HTML or scripts: remove %(found)s."),
            max_length=self.max_length,
        )


class MarkdownField(forms.CharField):
    """Markdown keeps its leading spaces and tabs, which start code blocks and nest lists;
    line ends as "\\n" and no control characters, as in `TextField`."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            widget=forms.Textarea(attrs={"rows": 8}),
            required=False,
            strip=False,
            max_length=MAX_HARVEST_TEXT,
            **kwargs,
        )

    def to_python(self, value: object) -> str:
        text = super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")
        text = CONTROL_CHARACTERS.sub("", text)
        return text if text.strip() else ""

    def validate(self, value: str) -> None:
        super().validate(value)
        refuse_markup(
            value,
            _(
                "Write Markdown, without HTML or scripts; links start with https://, "
                "http:// or mailto:. Remove %(found)s."
            ),
            max_length=self.max_length,
        )


MARKDOWN_HELP = _("Markdown: **bold**, _italic_, lists with “-”, links as [text](https://…).")


class HarvestForm(forms.Form):
    practised = MarkdownField(label=_("What we practised"), help_text=MARKDOWN_HELP)
    learnt = MarkdownField(label=_("What we learnt"), help_text=MARKDOWN_HELP)
    resources = MarkdownField(label=_("Resources shared"), help_text=MARKDOWN_HELP)
    # The revision the writer started from; a save on top of a newer one is refused.
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class DecisionForm(forms.Form):
    proposal = TextField(label=_("Decision"), rows=3, max_length=DECISION_LENGTH)


class ObjectionForm(forms.Form):
    decision = forms.TypedChoiceField(label=_("To decision"), coerce=int, required=False)
    objection = TextField(label=_("Objection"), rows=3, max_length=OBJECTION_LENGTH)
    integration = TextField(label=_("How it was integrated"), rows=3, max_length=INTEGRATION_LENGTH)

    def __init__(self, *args: object, decisions: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [("", "—")] + [
            (number, gettext("Decision %(number)s") % {"number": number})
            for number in range(1, decisions + 1)
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not any(data.get(name) for name in ("decision", "objection", "integration")):
            return data  # a blank row
        for name, message in (
            ("decision", _("Choose the decision this objection was raised to.")),
            ("objection", _("Write the objection, or empty the whole row.")),
            ("integration", _("Write how the objection was integrated.")),
        ):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data


DecisionFormSet = forms.formset_factory(
    DecisionForm,
    extra=BLANK_ROWS,
    max_num=MAX_DECISIONS,
    absolute_max=MAX_DECISIONS,
    validate_max=True,
)
ObjectionFormSet = forms.formset_factory(
    ObjectionForm,
    extra=BLANK_ROWS,
    max_num=MAX_OBJECTIONS,
    absolute_max=MAX_OBJECTIONS,
    validate_max=True,
)


@dataclass
class HarvestForms:
    """The form and its two formsets, checked together: an objection must name a decision
    that has text."""

    text: HarvestForm
    decisions: forms.BaseFormSet
    objections: forms.BaseFormSet

    @classmethod
    def blank(cls, *, text: HarvestText, based_on: int | None) -> "HarvestForms":
        """The form filled with what the harvest says now, with blank rows to add more."""
        decisions = DecisionFormSet(
            prefix="decisions",
            initial=[{"proposal": decision.proposal} for decision in text.decisions],
        )
        objections = ObjectionFormSet(
            prefix="objections",
            initial=[
                {
                    "decision": number,
                    "objection": entry.objection,
                    "integration": entry.integration,
                }
                for number, decision in enumerate(text.decisions, start=1)
                for entry in decision.objections
            ],
            form_kwargs={"decisions": decisions.total_form_count()},
        )
        form = HarvestForm(
            initial={
                "practised": text.practised,
                "learnt": text.learnt,
                "resources": text.resources,
                "based_on": based_on,
            }
        )
        return cls(text=form, decisions=decisions, objections=objections)

    @classmethod
    def bound(cls, data: QueryDict) -> "HarvestForms":
        decisions = DecisionFormSet(data, prefix="decisions")
        objections = ObjectionFormSet(
            data,
            prefix="objections",
            # Only what the page could have offered: the decision rows it had.
            form_kwargs={"decisions": decisions.total_form_count()},
        )
        return cls(text=HarvestForm(data), decisions=decisions, objections=objections)

    def is_valid(self) -> bool:
        valid = [self.text.is_valid(), self.decisions.is_valid(), self.objections.is_valid()]
        if not all(valid):
            return False
        written = self._written_decisions()
        for form in self._written_objections():
            number = form.cleaned_data["decision"]
            if number not in written:
                form.add_error(
                    "decision",
                    gettext("Decision %(number)s has no text: write it or choose another.")
                    % {"number": number},
                )
        return not any(form.errors for form in self.objections.forms)

    @property
    def based_on(self) -> int | None:
        return self.text.cleaned_data["based_on"]

    def harvest_text(self) -> HarvestText:
        """What the valid form says, blank rows left out, in the order written."""
        written = self._written_decisions()
        objections: dict[int, list[Objection]] = {number: [] for number in written}
        for form in self._written_objections():
            objections[form.cleaned_data["decision"]].append(
                Objection(
                    objection=form.cleaned_data["objection"],
                    integration=form.cleaned_data["integration"],
                )
            )
        data = self.text.cleaned_data
        return HarvestText(
            practised=data["practised"],
            learnt=data["learnt"],
            resources=data["resources"],
            decisions=[
                Decision(proposal=proposal, objections=objections[number])
                for number, proposal in written.items()
            ],
        )

    def messages(self) -> list[str]:
        """Every error, each once, for the summary at the top of the page."""
        found: list[str] = []
        formsets = (self.decisions, self.objections)
        for errors in [
            self.text.errors,
            *(formset.non_form_errors() for formset in formsets),
            *(form.errors for formset in formsets for form in formset.forms),
        ]:
            values = errors.values() if isinstance(errors, dict) else [errors]
            for messages in values:
                found += [message for message in messages if message not in found]
        return found

    def _written_decisions(self) -> dict[int, str]:
        """The decisions with text, by the number the page showed them under."""
        return {
            number: form.cleaned_data["proposal"]
            for number, form in enumerate(self.decisions.forms, start=1)
            if form.cleaned_data.get("proposal")
        }

    def _written_objections(self) -> list[forms.Form]:
        return [
            form
            for form in self.objections.forms
            if form.cleaned_data.get("decision") or form.cleaned_data.get("objection")
        ]
