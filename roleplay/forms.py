"""Input validation only: every error is attached to the field it is about and keeps what was typed."""

import json
import re
import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import password_validation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from accounts.models import User
from accounts.timezones import TimeZoneField, guess_zone_unless_bound
from accounts.validators import validate_sane_date, validate_single_line
from roleplay.models import (
    OPTIONAL_KINDS,
    Cohort,
    CohortMembership,
    FeedbackTemplate,
    Role,
    Room,
    Round,
    Scenario,
    Skill,
    Unavailability,
    Weekday,
    WeeklyHours,
)
from roleplay.services.invitations import MAX_ROWS, InviteRow, rows_from_csv, rows_from_text
from roleplay.services.pairing_algorithm import Group

MAX_CSV_BYTES = 1024 * 1024
TERM_MARGIN = timedelta(days=366)
MAX_GROUPS_CHARS = 20_000
_GROUPS_CHARACTERS = re.compile(r"[\[\]0-9,\snul]*")
_MAX_ID = 2**63 - 1


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CohortForm(forms.ModelForm):
    time_zone = TimeZoneField(
        label="Time zone", initial="UTC", help_text=Cohort._meta.get_field("time_zone").help_text
    )

    class Meta:
        model = Cohort
        fields = [
            "name",
            "term_start",
            "term_end",
            "time_zone",
            "feedback_window_days",
            "reveal_policy",
        ]
        labels = {
            "term_start": "Term starts",
            "term_end": "Term ends",
            "feedback_window_days": "Feedback window (days)",
            "reveal_policy": "Trainees read their partner's feedback",
        }
        widgets = {"term_start": DateInput(), "term_end": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out (an older form, a script), they keep the cohort's value or the default.
        for name in ("feedback_window_days", "reveal_policy"):
            self.fields[name].required = False

    def _kept(self, name):
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return getattr(self.instance, name)
        return value

    def clean_feedback_window_days(self):
        return self._kept("feedback_window_days")

    def clean_reveal_policy(self):
        return self._kept("reveal_policy")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("term_start"), cleaned.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", "The term must end on or after the day it starts.")
        return cleaned


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "ada@example.org, Ada Lovelace"}),
        help_text="One person per line: an email address, optionally followed by a comma and a name.",
    )
    csv_file = forms.FileField(
        label="Or upload a CSV file",
        required=False,
        help_text="Columns: email, name. A header row is optional. UTF-8, at most 1 MB.",
    )

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if upload is None:
            return []
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB.")
        try:
            return rows_from_csv(upload.read())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rows: list[InviteRow] = rows_from_text(cleaned.get("emails", "")) + cleaned.get(
            "csv_file", []
        )
        if not rows:
            raise forms.ValidationError("Paste at least one email address or choose a CSV file.")
        if len(rows) > MAX_ROWS:
            raise forms.ValidationError(f"Invite at most {MAX_ROWS} people at a time.")
        cleaned["rows"] = rows
        return cleaned


class SupervisorAppointForm(forms.Form):
    email = forms.EmailField(label="Supervisor's email address")
    name = forms.CharField(
        label="Name", max_length=120, required=False, validators=[validate_single_line]
    )


class InvitationSignupForm(forms.Form):
    display_name = forms.CharField(
        label="Your name",
        max_length=120,
        help_text="As your supervisor and partners will see it.",
        validators=[validate_single_line],
    )
    time_zone = TimeZoneField(label="Your time zone")
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        guess_zone_unless_bound(self)

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords are not the same.")
        if second:
            password_validation.validate_password(
                second, User(email=self.email, display_name=self.cleaned_data.get("display_name"))
            )
        return second


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RoundForm(forms.ModelForm):
    """Times are typed in the viewer's time zone (the active one) and stored in UTC."""

    class Meta:
        model = Round
        fields = [
            "name",
            "opens",
            "closes",
            "session_minutes",
            "guard_hours",
            "buffer_minutes",
            "max_per_day",
            "max_per_week",
            "scenarios",
            "client_template",
            "therapist_template",
            "observer_template",
        ]
        labels = {
            "client_template": "Feedback form for the client role",
            "therapist_template": "Feedback form for the therapist role",
            "observer_template": "Feedback form for an observer",
            "guard_hours": "Guard time (hours)",
            "buffer_minutes": "Buffer between a trainee's sessions (minutes)",
            "max_per_day": "Most sessions per trainee per day",
            "max_per_week": "Most sessions per trainee per week",
            "opens": "Booking opens",
            "closes": "Booking closes",
            "session_minutes": "Session length (minutes)",
            "scenarios": "This round's scenario set",
        }
        widgets = {
            "opens": DateTimeInput(),
            "closes": DateTimeInput(),
            "scenarios": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, scenarios, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.fields["opens"].validators.append(validate_sane_date)
        self.fields["closes"].validators.append(validate_sane_date)
        self.fields["scenarios"].queryset = scenarios
        self.fields["session_minutes"].min_value = 10
        self.fields["session_minutes"].max_value = 240
        self.fields["session_minutes"].validators += [
            MinValueValidator(10),
            MaxValueValidator(240),
        ]
        # Programme-wide forms and those of the cohort's supervisors, newest version of each.
        supervisors = CohortMembership.objects.active().filter(cohort=cohort, role=Role.SUPERVISOR)
        for purpose in ("client", "therapist", "observer"):
            field = self.fields[f"{purpose}_template"]
            field.queryset = FeedbackTemplate.objects.filter(
                Q(owner__isnull=True) | Q(owner__in=supervisors.values("user_id")),
                purpose=purpose,
                is_current=True,
            )
            field.empty_label = "Dyad's built-in form"

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        earliest, latest = term_bounds(self.cohort)
        for name, moment in (("opens", opens), ("closes", closes)):
            if moment and not earliest <= moment <= latest:
                self.add_error(
                    name,
                    f"Choose a time between {earliest:%d %b %Y} and {latest:%d %b %Y} "
                    "(the cohort's term, give or take a year).",
                )
        if opens and closes and closes <= opens and not self.has_error("opens"):
            self.add_error("closes", "Booking must close after it opens.")
        return cleaned


def term_bounds(cohort: Cohort) -> tuple[datetime, datetime]:
    """The earliest and latest moment a round of `cohort` may use: its term, give or take a year
    (in the cohort's zone)."""
    zone = zoneinfo.ZoneInfo(cohort.time_zone)
    earliest = datetime.combine(cohort.term_start - TERM_MARGIN, time.min, tzinfo=zone)
    latest = datetime.combine(cohort.term_end + TERM_MARGIN, time.max, tzinfo=zone)
    return earliest, latest.replace(second=0, microsecond=0)


class ScenarioForm(forms.ModelForm):
    skills = forms.MultipleChoiceField(
        choices=Skill.choices, widget=forms.CheckboxSelectMultiple, label="Skills it exercises"
    )

    class Meta:
        model = Scenario
        fields = [
            "title",
            "presenting_concern",
            "difficulty",
            "skills",
            "intake_summary",
            "client_brief",
            "shared",
        ]
        labels = {"shared": "Share with every supervisor in the programme"}


class DoNotPairForm(forms.Form):
    trainee_a = forms.ModelChoiceField(queryset=User.objects.none(), label="Trainee")
    trainee_b = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Must not be paired with"
    )
    reason = forms.CharField(
        max_length=200,
        required=False,
        validators=[validate_single_line],
        help_text="Only supervisors see this (e.g. housemates, partners, a client elsewhere).",
    )

    def __init__(self, *args, trainees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee_a"].queryset = trainees
        self.fields["trainee_b"].queryset = trainees

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("trainee_a") and cleaned.get("trainee_a") == cleaned.get("trainee_b"):
            self.add_error("trainee_b", "Choose two different trainees.")
        return cleaned


class ChooseScenarioForm(forms.Form):
    scenario = forms.ModelChoiceField(
        queryset=Scenario.objects.none(), widget=forms.RadioSelect, label="Scenario"
    )

    def __init__(self, *args, scenarios, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = scenarios


class BookingForm(forms.Form):
    """A start time typed in the viewer's zone, and where the session happens."""

    start = forms.DateTimeField(
        label="Start", widget=DateTimeInput(), validators=[validate_sane_date]
    )
    room = forms.ModelChoiceField(
        queryset=None, required=False, label="Room", empty_label="No room"
    )
    video_url = forms.URLField(label="Video link", required=False, assume_scheme="https")

    def __init__(self, *args, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Your partners (and, close to the start, your supervisor) will see this.",
        error_messages={"required": "Say why the session is cancelled; your partners will see it."},
    )


class TimeInput(forms.TimeInput):
    input_type = "time"


def _end_after_start(form: forms.Form, cleaned: dict) -> dict:
    start, end = cleaned.get("start"), cleaned.get("end")
    if start and end and end <= start:
        form.add_error("end", "End after the start (split a block that crosses midnight).")
    return cleaned


class WeeklyHoursForm(forms.Form):
    """One block of time on several weekdays at once (Monday to Friday, 09:00 to 17:00)."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple, label="Days"
    )
    start = forms.TimeField(label="From", widget=TimeInput())
    end = forms.TimeField(label="Until", widget=TimeInput())

    def clean(self):
        return _end_after_start(self, super().clean())


class WeeklyHoursChangeForm(forms.ModelForm):
    class Meta:
        model = WeeklyHours
        fields = ["weekday", "start", "end"]
        labels = {"weekday": "Day", "start": "From", "end": "Until"}
        widgets = {"start": TimeInput(), "end": TimeInput()}

    def clean(self):
        return _end_after_start(self, super().clean())


class UnavailabilityForm(forms.ModelForm):
    class Meta:
        model = Unavailability
        fields = ["start", "end", "note"]
        labels = {"start": "Away from", "end": "Back at", "note": "Note (only you see it)"}
        widgets = {"start": DateTimeInput(), "end": DateTimeInput()}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "Back must be after away.")
        return cleaned


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name"]
        labels = {"name": "Room name"}


class EmailPreferencesForm(forms.Form):
    emailed = forms.MultipleChoiceField(
        label="Email me these (they always appear under Notifications)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(kind.value, kind.label) for kind in OPTIONAL_KINDS],
    )


class RematchForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=User.objects.none(), label="Practise with")
    start = forms.DateTimeField(
        label="Start", widget=DateTimeInput(), validators=[validate_sane_date]
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = User.objects.filter(pk__in=[c.pk for c in candidates])


class AcceptSuggestionForm(forms.Form):
    """The suggested groups, echoed back by the page as JSON `[[client, therapist, observer], …]`.

    Its size and shape are checked before and after parsing, so a forged payload (huge numbers,
    deep nesting, megabytes of text) is refused with a sentence instead of failing on the way."""

    UNREADABLE = "That suggestion could not be read; ask for suggestions again."

    groups = forms.CharField(max_length=MAX_GROUPS_CHARS, strip=False)

    def clean_groups(self) -> list[Group]:
        raw = self.cleaned_data["groups"]
        if not _GROUPS_CHARACTERS.fullmatch(raw) or _depth(raw) > 2:
            raise forms.ValidationError(self.UNREADABLE)
        try:
            rows = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(self.UNREADABLE) from exc
        if not isinstance(rows, list) or not all(_is_group(row) for row in rows):
            raise forms.ValidationError(self.UNREADABLE)
        return [Group(*row) for row in rows]


def _depth(raw: str) -> int:
    deepest = depth = 0
    for char in raw:
        if char == "[":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "]":
            depth -= 1
    return deepest


def _is_group(row) -> bool:
    if not isinstance(row, list) or len(row) not in (2, 3):
        return False
    client, therapist, *observer = row
    ids = [client, therapist] + [o for o in observer if o is not None]
    return all(isinstance(i, int) and 0 < i <= _MAX_ID for i in ids)
