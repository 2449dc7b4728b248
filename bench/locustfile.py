"""What `make loadtest` makes simulated people do (run by ``bench/loadtest.py``, not by hand).

Each simulated person is a real seeded user, signed in by a session cookie that
``bench/loadtest.py`` made beforehand and handed over in ``LOADTEST_PEOPLE`` (a JSON file), so no
password hashing or second factor is part of what is measured. Trainees open their dashboard, the
pairing page of their current pairing, their notifications and their session, and propose a time
or confirm one (the booking rules may refuse it: that is a page with the reason, not an error).
Supervisors open their dashboard, the round page and the cohort page. Requests carry
``X-Forwarded-Proto: https`` as they would behind the TLS proxy."""

import itertools
import json
import os
import random
import threading
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

with open(os.environ["LOADTEST_PEOPLE"]) as people_file:
    PEOPLE = json.load(people_file)
_next = {role: itertools.count() for role in PEOPLE}
_lock = threading.Lock()


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        with _lock:
            me = PEOPLE[self.role][next(_next[self.role]) % len(PEOPLE[self.role])]
        self.me = me
        self.cookies = {"sessionid": me["session_cookie"], "csrftoken": me["csrf"]}
        self.headers = {"X-Forwarded-Proto": "https"}

    def get(self, url: str, name: str) -> None:
        self.client.get(url, name=name, cookies=self.cookies, headers=self.headers)

    def post(self, url: str, name: str, data: dict) -> None:
        headers = {
            **self.headers,
            "X-CSRFToken": self.me["csrf"],
            "Referer": f"{self.host}{url}".replace("http://", "https://"),
        }
        # The answer is a redirect to the session page; following it times that page too.
        self.client.post(url, data=data, name=name, cookies=self.cookies, headers=headers)


class Trainee(Person):
    role = "trainees"
    weight = 1

    @task(3)
    def dashboard(self) -> None:
        self.get("/", "trainee: dashboard")

    @task(3)
    def pairing(self) -> None:
        self.get(f"/pairings/{self.me['pairing']}/", "trainee: pairing page")

    @task(2)
    def notifications(self) -> None:
        self.get("/notifications/", "trainee: notifications")

    @task(1)
    def session(self) -> None:
        self.get(f"/sessions/{self.me['session']}/", "trainee: session page")

    @task(1)
    def propose(self) -> None:
        start = datetime.now(UTC) + timedelta(days=3, hours=random.randrange(0, 48))
        self.post(
            f"/sessions/{self.me['session']}/reschedule/",
            "trainee: propose a time (POST)",
            {"start": start.strftime("%Y-%m-%dT%H:00"), "video_url": ""},
        )

    @task(1)
    def confirm(self) -> None:
        self.post(f"/sessions/{self.me['session']}/confirm/", "trainee: confirm (POST)", {})


class Supervisor(Person):
    role = "supervisors"
    fixed_count = 5

    @task(2)
    def dashboard(self) -> None:
        self.get("/", "supervisor: dashboard")

    @task(3)
    def round_page(self) -> None:
        self.get(f"/rounds/{self.me['round']}/", "supervisor: round page")

    @task(1)
    def cohort(self) -> None:
        self.get(f"/cohorts/{self.me['cohort']}/", "supervisor: cohort page")
