"""Reading a rendered page the way a person does: by element, row and visible text."""

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
