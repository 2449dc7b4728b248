"""The who-met-whom matrix's cells, written in Python: at 40 trainees a matrix is 1,600 cells,
and the template language's loop and conditions per cell cost more than the rest of the page."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SELF = '<td class="self"><span class="visually-hidden">—</span></td>'
UNMET = '<td class="unmet">0</td>'


@register.simple_tag
def met_cells(cells) -> SafeString:
    """One <td> per column trainee: the diagonal, "0", or the count with the row's roles."""
    parts = []
    for cell in cells:
        if cell is None:
            parts.append(SELF)
        elif cell.total:
            parts.append(f"<td>{cell.total}<small>{cell.roles}</small></td>")
        else:
            parts.append(UNMET)
    # Only integers and the fixed role letters (Cell.roles): nothing a person typed.
    return mark_safe("".join(parts))
