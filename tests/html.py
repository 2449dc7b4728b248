"""Reading a rendered page the way a person does: by element, row and visible text, and each
form field's current value with the error beside it."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.test.html import Element, parse_html


def _elements(node):
    for child in node.children:
        if isinstance(child, Element):
            yield child
            yield from _elements(child)


def _text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(" ".join(_text(child) for child in node.children).split())


def _by_id(page, element_id: str) -> Element:
    (found,) = [e for e in _elements(page) if dict(e.attributes).get("id") == element_id]
    return found


def row_of(response, element_id: str) -> str:
    """The text of the table row holding the element with this id."""
    page = parse_html(response.content.decode())
    (row,) = [
        e
        for e in _elements(page)
        if e.name == "tr" and any(dict(d.attributes).get("id") == element_id for d in _elements(e))
    ]
    return _text(row)


def item_of(response, element_id: str) -> str:
    """The text of the innermost list item holding the element with this id."""
    page = parse_html(response.content.decode())
    items = [
        e
        for e in _elements(page)
        if e.name == "li" and any(dict(d.attributes).get("id") == element_id for d in _elements(e))
    ]
    return _text(items[-1])


def names_of_fields(response) -> dict[str, str]:
    """Each field's accessible name from its aria-labelledby, by the field's name."""
    page = parse_html(response.content.decode())
    texts = {dict(e.attributes).get("id"): _text(e) for e in _elements(page)}
    return {
        attributes["name"]: " ".join(texts[part] for part in attributes["aria-labelledby"].split())
        for attributes in (dict(e.attributes) for e in _elements(page))
        if "aria-labelledby" in attributes and "name" in attributes
    }


def items_of(response, element_id: str) -> list[str]:
    """The text of each item of the list with this id."""
    found = _by_id(parse_html(response.content.decode()), element_id)
    return [_text(child) for child in found.children if isinstance(child, Element)]


def options_of(response, element_id: str) -> list[str]:
    select = _by_id(parse_html(response.content.decode()), element_id)
    return [_text(option) for option in _elements(select) if option.name == "option"]


def selected_option(response, element_id: str) -> str:
    select = _by_id(parse_html(response.content.decode()), element_id)
    (chosen,) = [
        _text(o)
        for o in _elements(select)
        if o.name == "option" and "selected" in dict(o.attributes)
    ]
    return chosen


def text_by_id(response, element_id: str) -> str:
    return _text(_by_id(parse_html(response.content.decode()), element_id))


def links_in(response, element_id: str) -> list[tuple[str, str]]:
    """(href, text) of each link inside the element with this id."""
    found = _by_id(parse_html(response.content.decode()), element_id)
    return [(dict(a.attributes)["href"], _text(a)) for a in _elements(found) if a.name == "a"]


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
        self.forms: list[dict[str, Field]] = []
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
        if tag == "form":
            self.fields = {}
            self.forms.append(self.fields)
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


def form_fields(page: str, containing: str = "") -> dict[str, Field]:
    """The fields of the page's forms by name (a later form's field wins), or only those of the
    form with a field named `containing` (for pages with several forms)."""
    parser = _Fields()
    parser.feed(page)
    merged: dict[str, Field] = {}
    for form in parser.forms:
        if not containing or containing in form:
            merged.update(form)
    return merged


def alerts(page: str) -> dict[str, str]:
    """The text of each alert with an id, by id (e.g. "pairing_new1_errors")."""
    parser = _Fields()
    parser.feed(page)
    return parser.alerts
