"""Error pages that need more than a template."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

# Tells browsers and proxies when to try again; about the time a database restart or fail-over
# takes.
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a 503 "back in a moment" page when the database cannot be reached.

    Django calls this for an exception raised anywhere in the request (view, middleware, session
    save), so every way the database can go missing ends here. The page renders without a request
    context: its context processors would query the database that has just failed. The stack trace
    goes to the log (django.request), never to the visitor. Nothing needs restarting: with
    CONN_HEALTH_CHECKS the next request finds the broken connection and opens a new one.
    """
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
