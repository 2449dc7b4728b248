"""Widgets that render their HTML in Python rather than through a template per option.

Django renders a select box through ``select.html``, which includes ``select_option.html`` and
``attrs.html`` for every option: for the time zone select (about 420 options) that is over a
thousand template includes, 5 to 10 ms a box, and the admin's cohort and user change pages spent most
of their time there (issue 10). ``QuickSelectMixin`` writes exactly the same markup directly;
``tests/accounts/test_widgets.py`` compares the two byte for byte.
"""

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """attrs.html: ``True`` is a bare attribute, ``False`` is left out, anything else a string."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelectMixin:
    """For a ``forms.Select`` (or a subclass): the same HTML, written without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        # The same line breaks as select.html and select_option.html (which ends in one).
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        mark_safe(_attrs(option["attrs"])),  # escaped by _attrs
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every part above is escaped


class QuickSelect(QuickSelectMixin, forms.Select):
    pass
