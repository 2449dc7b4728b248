"""Writing CSV a piece at a time, safe to open in a spreadsheet.

`csv_chunks` turns rows into text without a file: `csv.writer` writes to a pseudo-buffer whose
`write` hands the line back, and lines are gathered into chunks of about CHUNK_BYTES, so a
streamed response holds one chunk at a time whatever the number of rows.

CSV injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return,
which some treat the same) as a formula, so such text gets a leading apostrophe and is shown as
typed. Only text is guarded; numbers Dyad writes itself (a negative score) stay numbers."""

import csv
from collections.abc import Iterable, Iterator

CHUNK_BYTES = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"


class _Echo:
    """A file-like object that keeps nothing: `write` returns what it is given."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    parts, size = [BOM], 0
    for row in rows:
        line = writer.writerow([safe_cell(value) for value in row])
        parts.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)
