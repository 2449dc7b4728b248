"""Reading a page as a person sees its forms: each field's current value and the error beside it."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    value: str = ""
    errors: str = ""
    checked: bool = False
    selected: list[str] = field(default_factory=list)


class _Fields(HTMLParser):
    """Collects inputs, textareas and selects by name, and the alert that follows each one inside
    the same `<div class="field">` (templates/includes/form_fields.html) or table row."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, Field] = {}
        self.alerts: dict[str, str] = {}
        self._last: str | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._alert_depth = 0
        self._alert_id = ""
        self._alert_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "div" and attrs.get("role") == "alert" and not self._alert_depth:
            self._alert_depth, self._alert_id, self._alert_text = 1, attrs.get("id", ""), []
            return
        if self._alert_depth and tag == "div":
            self._alert_depth += 1
        if tag in ("tr", "div") and attrs.get("class") == "field":
            self._last = None
        if tag == "input" and name:
            item = self.fields.setdefault(name, Field())
            if attrs.get("type") in ("checkbox", "radio"):
                item.checked = item.checked or "checked" in attrs
            else:
                item.value = attrs.get("value") or ""
            self._last = name
        elif tag == "textarea" and name:
            self.fields[name] = Field()
            self._textarea = self._last = name
        elif tag == "select" and name:
            self.fields[name] = Field()
            self._select = self._last = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select].selected.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "div" and self._alert_depth:
            self._alert_depth -= 1
            if not self._alert_depth:
                text = " ".join(" ".join(self._alert_text).split())
                if self._alert_id:
                    self.alerts[self._alert_id] = text
                if self._last:
                    self.fields[self._last].errors = text

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea].value += data.removeprefix("\n")
        if self._alert_depth:
            self._alert_text.append(data)


def form_fields(page: str) -> dict[str, Field]:
    parser = _Fields()
    parser.feed(page)
    return parser.fields


def alerts(page: str) -> dict[str, str]:
    """The text of each alert with an id, by id (e.g. "pairing_new1_errors")."""
    parser = _Fields()
    parser.feed(page)
    return parser.alerts
