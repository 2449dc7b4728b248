"""The database going away while Dyad serves (issue 7, item 15): a friendly 503 page, then the
same process serves again once the database is back, without a restart.

Dyad runs in a process of its own (a single-threaded WSGI server, like one gunicorn sync worker,
keeping its connection between requests), connected to the test database through a TCP proxy
that the test cuts: the shared PostgreSQL server is never touched."""

import urllib.request
from urllib.error import HTTPError

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import UserFactory
from tests.integration.processes import TcpProxy, free_port, running, wait_for_port, wsgi_server

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

PROXY_PORT = 55401


def test_database_going_away_shows_a_friendly_503_and_recovers_without_a_restart(client, tmp_path):
    client.force_login(UserFactory(display_name="Dana Outage"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)), PROXY_PORT)
    proxy.start()
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{PROXY_PORT}/{db['NAME']}",
    }

    def dashboard() -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    try:
        with running(wsgi_server(port), env=env, log=tmp_path / "web.log"):
            wait_for_port(port, what="the web server to listen")
            status, page = dashboard()
            assert (status, "Dana Outage" in page) == (200, True)

            proxy.cut()
            status, page = dashboard()
            assert status == 503
            assert "Dyad is back in a moment" in page
            assert "We cannot reach our database just now" in page
            assert "Traceback" not in page and "OperationalError" not in page

            proxy.restore()
            status, page = dashboard()
            assert (status, "Dana Outage" in page) == (200, True)
    finally:
        proxy.cut()
