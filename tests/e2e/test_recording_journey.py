"""Both trainees consent, one uploads a recording, a time-stamped comment seeks the player (the
file is served in ranges, 206), then the other withdraws consent and the file is gone. Real
browser (its own media player and Range requests), real server, real storage."""

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.utils import timezone
from playwright.sync_api import Page, expect

from roleplay.models import Recording, Role
from roleplay.services import booking
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing
from tests.roleplay.record_helpers import wav_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def test_record_comment_seek_and_withdraw(live_server, page: Page, new_context, supervisor, cohort):
    ana, ben = (
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name)
        ).user
        for name in ("Ana", "Ben")
    )
    pairing = make_pairing(
        cohort, ana, ben, opens=timezone.now(), closes=timezone.now() + timedelta(days=30)
    )
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=timezone.now() + timedelta(days=2)
    )
    url = f"{live_server.url}/sessions/{session.pk}/"

    # Ana (the client) consents; with only her consent there is nothing to upload yet.
    sign_in(page, live_server.url, ana.email)
    page.goto(url)
    page.get_by_role("button", name="I consent to recording this session").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Thank you: you consent to this session being recorded."
    )
    expect(page.locator("#recording-section")).to_contain_text(
        "No recording: not everyone in the session has consented."
    )

    # Ben (the therapist) consents, uploads a 5-second WAV and comments on a moment.
    ben_page = new_context().new_page()
    sign_in(ben_page, live_server.url, ben.email)
    ben_page.goto(url)
    ben_page.get_by_role("button", name="I consent to recording this session").click()
    ben_page.get_by_label("Recording (audio or video)").set_input_files(
        {"name": "session.wav", "mimeType": "audio/wav", "buffer": wav_bytes(seconds=5)}
    )
    ben_page.get_by_role("button", name="Upload the recording").click()
    expect(ben_page.get_by_role("status")).to_contain_text("The recording is uploaded.")
    ben_page.get_by_text("Comment on a moment").click()
    ben_page.get_by_label("At (minutes:seconds)").fill("0:03")
    ben_page.get_by_label("Comment").fill("Good reflection of feeling")
    ben_page.get_by_role("button", name="Add comment").click()
    expect(ben_page.locator("#comments")).to_have_text(
        "0:03 — Good reflection of feeling Ben", use_inner_text=True
    )

    # Ana opens the page: the player loads the file in ranges; her click on "0:03" seeks it.
    statuses: list[int] = []
    page.on(
        "response",
        lambda response: "/recordings/" in response.url and statuses.append(response.status),
    )
    page.goto(url)
    player = page.locator("#player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.get_by_role("button", name="0:03").click()
    page.wait_for_function("Math.round(document.getElementById('player').currentTime) >= 3")
    assert 206 in statuses
    assert 200 not in statuses  # the player only ever asked for ranges

    recording = Recording.objects.get()
    stream = f"{live_server.url}/recordings/{recording.pk}/"
    assert page.request.get(stream, headers={"Range": "bytes=0-3"}).body() == b"RIFF"

    # Ana withdraws: the recording is deleted at once, from the page, the server and the disk.
    page.get_by_role("button", name="Withdraw my consent").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Consent withdrawn. The recording is deleted."
    )
    expect(player).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Recording deleted (consent withdrawn) · Ana")
    assert page.request.get(stream).status == 404
    assert ben_page.request.get(stream).status == 404
    assert not storages["recordings"].exists(recording.file.name)
