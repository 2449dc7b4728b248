"""`make run`'s mail, printed so a person can read it in the terminal.

Django's console backend prints the raw MIME message: an encoded subject ("=?utf-8?q?...") and
base64 or quoted-printable bodies, with the HTML part repeated. Inside the Celery worker, which
sends Dyad's mail, what a task writes to stdout also becomes WARNING log lines. This backend
prints who, the decoded subject and the plain-text body, to the terminal's own stdout.
"""

import sys

from django.core.mail.backends import console

RULE = "─" * 72


def readable(message) -> str:
    """One email as text: headers a person cares about, then the plain-text body."""
    lines = [
        RULE,
        f"From:    {message.from_email}",
        f"To:      {', '.join(message.to)}",
    ]
    if message.cc:
        lines.append(f"Cc:      {', '.join(message.cc)}")
    lines += [f"Subject: {message.subject}", "", message.body.rstrip()]
    others = [mimetype for _, mimetype in getattr(message, "alternatives", [])]
    if others:
        lines += ["", f"(Also sent as {', '.join(others)}; not shown here.)"]
    return "\n".join([*lines, RULE, ""]) + "\n"


class EmailBackend(console.EmailBackend):
    def __init__(self, *args, **kwargs):
        # sys.__stdout__: the terminal, even inside a Celery worker that redirects sys.stdout.
        kwargs.setdefault("stream", sys.__stdout__)
        super().__init__(*args, **kwargs)

    def write_message(self, message) -> None:
        self.stream.write(readable(message))
