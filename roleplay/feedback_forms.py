"""Feedback forms built from a template's items: input parsing only. Whether a required item was
answered, a value in range, a choice offered, is decided by services.feedback.answers_check, so
the draft endpoint, the form and any other caller hold the same rules."""

from decimal import Decimal

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe

from roleplay.models import FeedbackItem, FeedbackTemplate, GoalTried, ItemKind
from roleplay.scoring import OPS
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


def _attrs(attrs: dict) -> str:
    """Django's widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class RadioSelect(forms.RadioSelect):
    """A RadioSelect rendered in Python, to the byte what Django's radio templates render (the
    form page has a dozen scales of six options; rendering each option through three included
    templates was most of the page's server time). Grouped choices fall back to the templates.
    Named RadioSelect so that BoundField.widget_type stays "radioselect" for the templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group for group, _, _ in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        own = widget["attrs"]
        parts = [
            "<div",
            f' id="{escape(own["id"])}"' if own.get("id") else "",
            f' class="{escape(own["class"])}"' if own.get("class") else "",
            ">",
        ]
        for _, options, _ in widget["optgroups"]:
            for option in options:
                attrs = option["attrs"]
                label_for = f' for="{escape(attrs["id"])}"' if attrs.get("id") else ""
                shown = (
                    "" if option["value"] is None else f' value="{escape(str(option["value"]))}"'
                )
                parts.append(
                    f'<div>\n    <label{label_for}><input type="{option["type"]}" '
                    f'name="{escape(option["name"])}"{shown}{_attrs(attrs)}>\n '
                    f"{escape(option['label'])}</label>\n\n</div>"
                )
        parts.append("\n</div>")  # the renderer strips the template's final newlines
        return mark_safe("".join(parts))


def _field(item: FeedbackItem) -> forms.Field:
    label = item.prompt
    common = {"label": label, "required": False, "help_text": item.help_text}
    na = [(NA, "Not applicable")] if item.allow_na else []
    if item.kind == ItemKind.LIKERT:
        return forms.ChoiceField(
            choices=_scale(item) + na,
            widget=RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if item.kind == ItemKind.YES_NO:
        return forms.ChoiceField(
            choices=[("1", "Yes"), ("0", "No"), *na],
            widget=RadioSelect,
            error_messages=CHOICE_ERRORS,
            **common,
        )
    if item.kind == ItemKind.CHOICE:
        return forms.ChoiceField(
            choices=[(c, c) for c in item.choices] + na,
            widget=RadioSelect,
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

    def item_fields(self) -> list[tuple[forms.BoundField, forms.BoundField | None]]:
        """Each item's field with its "Not applicable" box (None when it has none), in item
        order: the page renders these pairs instead of looking each box up among every field
        per item, which made rendering the form quadratic in its items."""
        return [
            (self[field_name(item)], self[na_name(item)] if na_name(item) in self.fields else None)
            for item in self.items
        ]

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
        widget=RadioSelect,
        error_messages={"required": "Say whether you tried it.", **CHOICE_ERRORS},
    )
    note = forms.CharField(label="How did it go?", max_length=300, required=False)


# --- building a form from items -----------------------------------------------------------------

SEPARATOR = "|"


class TemplateForm(forms.ModelForm):
    thresholds_text = forms.CharField(
        label="Your own flag rules",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One a line: what, a comparison, a number, then the label shown. “what” is "
        "total, a subscale name, or item:key — e.g. “total <= 36 discuss in supervision”.",
    )

    class Meta:
        model = FeedbackTemplate
        fields = ["name", "description", "licence_note", "aggregate", "missing_rule", "impute_max"]
        labels = {
            "licence_note": "Source and licence",
            "aggregate": "Subscales and total are the",
            "missing_rule": "Unanswered and “not applicable” items",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["thresholds_text"].initial = "\n".join(
            f"{t['target'] or 'total'} {t['op']} {t['value']} {t['label']}"
            for t in self.instance.thresholds
        )

    def clean_thresholds_text(self):
        rules = []
        for number, line in enumerate(self.cleaned_data["thresholds_text"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=3)
            if len(parts) < 4 or parts[1] not in OPS:
                raise forms.ValidationError(
                    f"Line {number}: write what, a comparison (<=, <, >=, >), a number and a label."
                )
            try:
                value = Decimal(parts[2])
            except ArithmeticError as exc:
                raise forms.ValidationError(
                    f"Line {number}: “{parts[2]}” is not a number."
                ) from exc
            target = "" if parts[0] == "total" else parts[0]
            rules.append(
                {"target": target, "op": parts[1], "value": str(value), "label": parts[3].strip()}
            )
        return rules


class ItemForm(forms.Form):
    key = forms.SlugField(max_length=40, label="Key", help_text="Short, unique in the form.")
    # A blank first choice, so an empty extra row is left alone rather than validated.
    kind = forms.ChoiceField(choices=[("", "Choose…"), *ItemKind.choices], label="Kind")
    prompt = forms.CharField(max_length=300, label="Question")
    minimum = forms.DecimalField(max_digits=6, decimal_places=1, required=False, label="Min")
    maximum = forms.DecimalField(max_digits=6, decimal_places=1, required=False, label="Max")
    anchors = forms.CharField(
        required=False, max_length=500, label=f"Anchor labels (separated by {SEPARATOR})"
    )
    choices = forms.CharField(
        required=False, max_length=1000, label=f"Choices (separated by {SEPARATOR})"
    )
    subscale = forms.SlugField(max_length=40, required=False, label="Subscale")
    parallel_key = forms.SlugField(
        max_length=40, required=False, label="Parallel client item (key)"
    )
    required = forms.BooleanField(required=False, initial=True, label="Required")
    allow_na = forms.BooleanField(required=False, label="Allows N/A")
    reverse = forms.BooleanField(required=False, label="Reverse-scored")
    scored = forms.BooleanField(required=False, initial=True, label="Counts in scores")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        data["anchors"] = _split(data.get("anchors", ""))
        data["choices"] = _split(data.get("choices", ""))
        if kind == ItemKind.SLIDER:
            data["minimum"], data["maximum"] = Decimal(0), Decimal(10)
        elif kind in (ItemKind.LIKERT, ItemKind.COUNT):
            low, high = data.get("minimum"), data.get("maximum")
            if low is None or high is None or high <= low:
                self.add_error("maximum", "Give a lowest and a higher highest value.")
            elif kind == ItemKind.LIKERT and (high - low > 10 or low % 1 or high % 1):
                self.add_error("maximum", "A Likert scale has whole steps, at most 11 of them.")
        else:
            data["minimum"] = data["maximum"] = None
        if kind == ItemKind.CHOICE and len(data["choices"]) < 2:
            self.add_error("choices", "Offer at least two choices.")
        return data


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(SEPARATOR) if part.strip()]


class BaseItemFormSet(forms.BaseFormSet):
    def clean(self):
        keys = [item["key"] for item in self.items()]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError("Each item needs its own key.")
        if not keys:
            raise forms.ValidationError("A form needs at least one item.")

    def items(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data.get("key") and not self._should_delete_form(form)
        ]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=2, can_delete=True)


def item_initial(items) -> list[dict]:
    return [
        {
            **{k: v for k, v in item.items() if k not in ("anchors", "choices")},
            "anchors": f" {SEPARATOR} ".join(item["anchors"]),
            "choices": f" {SEPARATOR} ".join(item["choices"]),
        }
        for item in items
    ]
