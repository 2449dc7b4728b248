"""The round editor's table rows as HTML, written here rather than in the template.

At 200 trainees the rows hold some 3,000 values; the template engine resolved and escaped each
one at about half the cost of the whole "Suggest pairs" request, where these few lines of
f-strings take a millisecond. Everything that is not a number or a fixed word is escaped. The
markup is the template's (templates/roleplay/round_detail.html renders it inside `<tbody>`):
each field is named by `aria-labelledby` from text on the page — the trainee's name or the
pairing's header, and the column header (`hn`, `hr`, `hs`, `hc`, `hl`)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .round_editor import Member, PairingRow


def _list(css_class: str, texts: list[str]) -> str:
    items = "".join(f"<li>{escape(text)}</li>" for text in texts)
    return f'<ul class="{css_class}">{items}</ul>' if texts else ""


def _member(m: Member) -> str:
    return (
        f'<li><span id="n{m.pk}">{escape(m.name)}</span> '
        f'<input type="number" min="1" name="slot_{m.pk}" value="{m.number}"'
        f' aria-labelledby="n{m.pk} hn"> '
        f'<input name="role_{m.pk}" list="rl" value="{escape(m.role)}"'
        f' aria-labelledby="n{m.pk} hr">{_list("row-warnings", m.warnings)}</li>'
    )


def _checkbox(name: str, n: str, header: str, checked: bool) -> str:
    state = " checked" if checked else ""
    return (
        f'<td><input type="checkbox" name="{name}_{n}" aria-labelledby="p{n} {header}"{state}></td>'
    )


def _row(row: PairingRow) -> str:
    n = row.number
    members = "".join(map(_member, row.members))
    members = f"<ul>{members}</ul>" if members else "(new)"
    if row.errors:
        members += (
            f'<div role="alert" id="pairing_{n}_errors">{_list("errorlist", row.errors)}</div>'
        )
    if not n:
        return (
            f'<tr><th scope="row">Not in a pairing</th><td>{members}</td><td colspan="4"></td></tr>'
        )
    return (
        f'<tr><th scope="row" id="p{n}">Pairing {n}</th><td>{members}</td>'
        f'<td><input type="number" min="1" list="sc" name="scenario_{n}" value="{row.scenario}"'
        f' aria-labelledby="p{n} hs"></td>'
        f"{_checkbox('chooses', n, 'hc', row.client_chooses)}"
        f"{_checkbox('locked', n, 'hl', row.locked)}"
        f"<td>{_list('row-warnings', row.warnings)}</td></tr>"
    )


def rows_html(rows: list[PairingRow]) -> SafeString:
    # Safe: names, roles, warnings and errors are escaped above; the rest are digits and words.
    return mark_safe("".join(map(_row, rows)))
