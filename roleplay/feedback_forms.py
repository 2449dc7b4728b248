"""Feedback forms built from a template's items: input parsing only. Whether a required item was
answered, a value in range, a choice offered, is decided by services.feedback.answers_check, so
the draft endpoint, the form and any other caller hold the same rules."""

from decimal import Decimal

from django import forms

from roleplay.models import FeedbackItem, GoalTried, ItemKind
from roleplay.services.feedback import AnswerValue, number_text

NA = "na"
CHOICE_ERRORS = {"invalid_choice": "Choose one of the options listed."}


def field_name(item: FeedbackItem) -> str:
    return f"item_{item.key}"


def na_name(item: FeedbackItem) -> str:
    return f"na_{item.key}"


def _scale(item: FeedbackItem) -> list[tuple[str, str]]:
    low, high = int(item.minimum), int(item.maximum)
    values = list(range(low, high + 1))
    anchors = item.anchors if len(item.anchors) == len(values) else []
    ends = {low: item.anchors[0], high: item.anchors[-1]} if len(item.anchors) == 2 else {}
    return [
        (str(v), f"{v} · {anchors[i]}" if anchors else f"{v} · {ends[v]}" if v in ends else str(v))
        for i, v in enumerate(values)
    ]


def _field(item: FeedbackItem) -> forms.Field:
    label = item.prompt
    common = {"label": label, "required": False, "help_text": item.help_text}
    na = [(NA, "Not applicable")] if item.allow_na else []
    if item.kind == ItemKind.LIKERT:
        return forms.ChoiceField(
            choices=_scale(item) + na,
            widget=forms.RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if item.kind == ItemKind.YES_NO:
        return forms.ChoiceField(
            choices=[("1", "Yes"), ("0", "No"), *na],
            widget=forms.RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if item.kind == ItemKind.CHOICE:
        return forms.ChoiceField(
            choices=[(c, c) for c in item.choices] + na,
            widget=forms.RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if item.kind in (ItemKind.SLIDER, ItemKind.COUNT):
        # Range is checked by the service, so the message is the same from every caller.
        step = "0.1" if item.kind == ItemKind.SLIDER else "1"
        return forms.DecimalField(
            max_digits=7,
            widget=forms.NumberInput(
                attrs={
                    "step": step,
                    "min": number_text(item.minimum),
                    "max": number_text(item.maximum),
                }
            ),
            error_messages={"invalid": "Enter a number."},
            **common,
        )
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": item.max_length}),
        strip=True,
        **common,
    )


class FeedbackForm(forms.Form):
    def __init__(self, *args, items: list[FeedbackItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[field_name(item)] = _field(item)
            self.fields[field_name(item)].item = item
            if item.allow_na and item.kind in (ItemKind.SLIDER, ItemKind.COUNT):
                self.fields[na_name(item)] = forms.BooleanField(
                    label="Not applicable", required=False
                )

    def answers(self) -> dict[str, AnswerValue]:
        """What was typed and parsed, by item key (items whose input could not be parsed are
        left out: their error is on the form already)."""
        answers = {}
        data = self.cleaned_data
        for item in self.items:
            name = field_name(item)
            if name not in data:
                continue
            raw = data[name]
            if data.get(na_name(item)) or raw == NA:
                answers[item.key] = AnswerValue(is_na=True)
            elif item.kind in (ItemKind.LIKERT, ItemKind.YES_NO):
                answers[item.key] = AnswerValue(value=Decimal(raw) if raw else None)
            elif item.kind in (ItemKind.SLIDER, ItemKind.COUNT):
                answers[item.key] = AnswerValue(value=raw)
            else:
                answers[item.key] = AnswerValue(text=raw or "")
        return answers

    def add_item_errors(self, errors: dict[str, str]) -> None:
        by_key = {item.key: item for item in self.items}
        for key, message in errors.items():
            if key in by_key and field_name(by_key[key]) not in self.errors:
                self.add_error(field_name(by_key[key]), message)


def initial_from(answers) -> dict:
    """A stored draft's answers as form initial data."""
    initial = {}
    for answer in answers:
        item = answer.item
        if answer.is_na:
            initial[field_name(item)] = NA
            initial[na_name(item)] = True
        elif answer.value is not None:
            initial[field_name(item)] = (
                str(int(answer.value))
                if item.kind in (ItemKind.LIKERT, ItemKind.YES_NO)
                else number_text(answer.value)
            )
        else:
            initial[field_name(item)] = answer.text
    return initial


class ReflectionForm(forms.Form):
    usefulness = forms.TypedChoiceField(
        label="How useful was the feedback you received?",
        choices=[("", "Not rated")] + [(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="1 = not useful, 5 = very useful. Your supervisor sees this.",
        error_messages=CHOICE_ERRORS,
    )
    text = forms.CharField(
        label="Reflection (for you and your supervisors)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    goal = forms.CharField(
        label="One goal for your next session",
        max_length=300,
        required=False,
        help_text="It appears on your next session's page before it starts.",
    )


class GoalCheckinForm(forms.Form):
    tried = forms.ChoiceField(
        label="Did you try it?",
        choices=GoalTried.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you tried it.", **CHOICE_ERRORS},
    )
    note = forms.CharField(label="How did it go?", max_length=300, required=False)
