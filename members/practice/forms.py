"""Forms for the practice on the meeting page."""

from django import forms
from django.utils.translation import gettext_lazy

from ..models import AgendaItem


class RoleForm(forms.Form):
    role = forms.SlugField(max_length=40)


class AssignForm(RoleForm):
    member = forms.IntegerField(min_value=1)


class ProposalForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ("title", "description", "minutes")
        labels = {"minutes": gettext_lazy("Minutes it needs")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])
