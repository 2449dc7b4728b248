from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
)

from accounts.admin import TimeZoneAdminMixin, time_zone_column
from accounts.models import User
from accounts.widgets import QuickSelect, QuickSelectMixin
from roleplay.models import (
    BriefRead,
    CalendarFeed,
    Cohort,
    CohortMembership,
    Consent,
    DoNotPair,
    EmailPreferences,
    Event,
    FeedbackAnswer,
    FeedbackItem,
    FeedbackResponse,
    FeedbackReveal,
    FeedbackScore,
    FeedbackTemplate,
    Invitation,
    Message,
    Pairing,
    PairingMember,
    Recording,
    RecordingComment,
    Reflection,
    Room,
    Round,
    RoundAbsence,
    Scenario,
    ScenarioTally,
    Session,
    SessionReview,
    SessionSeat,
    TermPlan,
    TermPlanLock,
    Unavailability,
    WeeklyHours,
)
from roleplay.permissions import feedback_visible_to, reflections_visible_to
from roleplay.services import invitations as invitation_services


class LoadedAutocompleteSelect(QuickSelectMixin, AutocompleteSelect):
    """An autocomplete whose chosen option is labelled from the row's object already joined in.

    Django's widget fetches the chosen object again: one query per inline row, 2,000 for a big
    cohort's members. `LoadedRowsInline` joins it into the rows and hands it over as `loaded`."""

    loaded = None

    def optgroups(self, name, value, attr=None):
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if self.loaded is None or chosen != [str(self.loaded.pk)]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(self.loaded)
        options.append(self.create_option(name, self.loaded.pk, label, True, len(options)))
        return [(None, options, 0)]


class LoadedRowForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, LoadedAutocompleteSelect):
                widget.loaded = getattr(self.instance, name)


class LoadedRowsInline(admin.TabularInline):
    """A tabular inline that costs the same few queries for 3 rows or 3,000.

    `loaded` names the foreign keys joined into its rows: those its autocomplete fields choose and
    those each row's title (`__str__`) names."""

    form = LoadedRowForm
    extra = 0
    loaded: list[str] = []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.loaded)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = LoadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        """Each row's choice boxes written without a template per option (same HTML)."""
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if type(field.widget) is forms.Select:
            field.widget.__class__ = QuickSelect
        return field


class MembershipInline(LoadedRowsInline):
    """Adds members to a cohort; its current members are listed read-only above it.

    A form per member (a select, a role box and two date-time widgets each) made a 40-member
    cohort's page 50x a minimal page's time to render; a member's row is changed or ended on
    the membership page its name links to, or in the cohort's filtered membership list."""

    model = CohortMembership
    fk_name = "cohort"
    fields = ["user", "role", "joined_at", "ended_at"]
    autocomplete_fields = ["user"]
    loaded = ["user", "cohort"]
    extra = 1
    verbose_name_plural = "add members"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Cohort)
class CohortAdmin(TimeZoneAdminMixin, admin.ModelAdmin):
    list_display = ["name", "term_start", "term_end", time_zone_column, "created_by"]
    list_filter = ["term_start"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
    date_hierarchy = "term_start"
    inlines = [MembershipInline]
    autocomplete_fields = ["created_by"]
    readonly_fields = ["members"]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "members"]
        return fields if obj is None else [*fields, "members"]

    @admin.display(description="members")
    def members(self, cohort: Cohort) -> str:
        """Every membership of the cohort in one query, each linked to its own change page."""
        rows = (
            CohortMembership.objects.filter(cohort=cohort)
            .select_related("user")
            .only(
                "pk",
                "role",
                "joined_at",
                "ended_at",
                "user__display_name",
                "user__email",
                "user__deleted_at",
                "user__is_supervisor",
            )
        )
        listed = reverse("admin:roleplay_cohortmembership_changelist")
        header = format_html(
            '<p><a href="{}?cohort__id__exact={}">Change or end memberships</a></p>',
            listed,
            cohort.pk,
        )
        body = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:roleplay_cohortmembership_change", args=[m.pk]),
                    m.user.name,
                    m.get_role_display(),
                    date_format(localtime(m.joined_at), "SHORT_DATE_FORMAT"),
                    date_format(localtime(m.ended_at), "SHORT_DATE_FORMAT") if m.ended_at else "—",
                )
                for m in rows
            ),
        )
        if not body:
            return format_html("{}<p>No members yet.</p>", header)
        return format_html(
            "{}<table><thead><tr><th>person</th><th>role</th><th>joined</th><th>ended</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            header,
            body,
        )


@admin.register(CohortMembership)
class CohortMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "role", "joined_at", "ended_at"]
    list_filter = ["role", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__display_name", "cohort__name"]
    list_select_related = ["user", "cohort"]
    autocomplete_fields = ["user", "cohort", "ended_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "cohort",
        "role",
        "status",
        "send_attempts",
        "last_error",
        "sent_at",
        "expires_at",
    ]
    list_filter = ["role", ("sent_at", admin.EmptyFieldListFilter), "cohort"]
    search_fields = ["email", "name", "cohort__name"]
    list_select_related = ["cohort"]
    readonly_fields = ["sent_at", "sending_since", "send_attempts", "last_error", "accepted_at"]
    autocomplete_fields = ["cohort", "invited_by", "accepted_by"]
    actions = ["resend"]

    @admin.action(description="Send the selected invitations again")
    def resend(self, request, queryset):
        sent = 0
        for invitation in queryset.pending():
            invitation_services.invitation_resend(invitation=invitation)
            sent += 1
        self.message_user(request, f"{sent} invitation(s) queued again.")


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["title", "difficulty", "owner", "shared", "updated_at"]
    list_filter = ["difficulty", "shared"]
    search_fields = ["title", "presenting_concern"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]


class PairingMemberForm(LoadedRowForm):
    def _get_validation_exclusions(self):
        # The round is not on the form but is set (from the pairing) before validation, so
        # "one pairing per trainee per round" is checked here rather than failing in the database.
        return super()._get_validation_exclusions() - {"round"}


class PairingMemberFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        """A member's round is always their pairing's; the admin does not ask for it twice."""
        super().add_fields(form, index)
        form.instance.round_id = self.instance.round_id


class PairingMemberInline(LoadedRowsInline):
    model = PairingMember
    form = PairingMemberForm
    formset = PairingMemberFormSet
    fields = ["trainee", "role"]
    autocomplete_fields = ["trainee"]
    loaded = ["trainee"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "status", "opens", "closes", "session_minutes"]
    list_filter = ["status"]
    search_fields = ["name", "cohort__name"]
    list_select_related = ["cohort"]
    autocomplete_fields = ["cohort", "scenarios"]
    raw_id_fields = ["client_template", "therapist_template", "observer_template"]


def people_matching(term: str):
    """People whose email or name holds `term`: a scan of the small user table, used as a
    subquery so that a search never joins a big table to every user and de-duplicates it."""
    return User.objects.filter(Q(email__icontains=term) | Q(display_name__icontains=term))


def rounds_matching(term: str):
    return Round.objects.filter(name__icontains=term)


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ["pk", "round", "round__cohort", "scenario", "client_chooses", "locked"]
    list_filter = ["locked", "client_chooses"]
    # What get_search_results searches; listed so that the search box shows.
    search_fields = ["round__name", "members__trainee__email", "members__trainee__display_name"]
    search_help_text = "A round's name, or a member's name or email address."
    show_full_result_count = False
    # Newest first by primary key: the model's order (cohort, round, pairing) sorted all 100,000.
    ordering = ["-pk"]
    list_per_page = 50  # rendering a row costs more than finding it, at any size
    list_select_related = ["round__cohort", "scenario"]
    autocomplete_fields = ["round", "scenario"]
    inlines = [PairingMemberInline]

    def get_search_results(self, request, queryset, search_term):
        """Rounds and people found first (small tables), then their pairings by index: Django's
        search joined every pairing to its members' users and de-duplicated, 2 s at 100,000."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # A UNION of two indexed look-ups: an OR of the two made PostgreSQL scan every pairing.
        found = (
            PairingMember.objects.filter(trainee__in=people_matching(term))
            .values("pairing_id")
            .union(Pairing.objects.filter(round__in=rounds_matching(term)).values("pk"))
        )
        return queryset.filter(pk__in=found), False


@admin.register(DoNotPair)
class DoNotPairAdmin(admin.ModelAdmin):
    list_display = ["trainee_a", "trainee_b", "cohort", "reason", "created_by"]
    search_fields = ["trainee_a__email", "trainee_b__email", "cohort__name"]
    list_select_related = ["trainee_a", "trainee_b", "cohort", "created_by"]
    autocomplete_fields = ["cohort", "trainee_a", "trainee_b", "created_by"]


@admin.register(TermPlan)
class TermPlanAdmin(admin.ModelAdmin):
    """Made by the planner's Celery task; a stuck "solving" plan is re-asked from its page."""

    list_display = ["cohort", "state", "source", "rounds", "first_repeat", "finished_at"]
    list_filter = ["state", "source"]
    search_fields = ["cohort__name"]
    list_select_related = ["cohort"]
    readonly_fields = ["schedule", "basis", "first_round", "first_repeat", "proven", "source"]
    raw_id_fields = ["cohort"]


@admin.register(TermPlanLock)
class TermPlanLockAdmin(admin.ModelAdmin):
    list_display = ["plan", "round_number", "trainee"]
    search_fields = ["plan__cohort__name", "trainee__email"]
    list_select_related = ["plan", "trainee"]
    raw_id_fields = ["plan", "trainee"]


@admin.register(RoundAbsence)
class RoundAbsenceAdmin(admin.ModelAdmin):
    list_display = ["trainee", "round", "round__cohort", "reason"]
    search_fields = ["trainee__email", "round__name"]
    list_select_related = ["trainee", "round__cohort"]
    autocomplete_fields = ["round", "trainee"]


class EstimatedCountPaginator(Paginator):
    """Counts a large unfiltered list from PostgreSQL's statistics instead of row by row.

    An exact count of a million-row outbox costs more than the rest of the page, and nobody needs
    its last digit; the estimate (from the last ANALYZE, which autovacuum keeps fresh) is shown
    instead. A filtered or searched list, and a small table, is counted exactly."""

    estimate_above = 100_000

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        if query.where or connection.vendor != "postgresql":
            return super().count
        # One query at any size (the page's query count stays flat): the exact count runs only
        # when the estimate is small (PostgreSQL evaluates a CASE's subquery only if reached).
        table = connection.ops.quote_name(query.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT CASE WHEN reltuples > %s THEN reltuples::bigint "
                f"ELSE (SELECT count(*) FROM {table}) END "
                "FROM pg_class WHERE oid = %s::regclass",
                [self.estimate_above, query.model._meta.db_table],
            )
            (count,) = cursor.fetchone()
        return int(count)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox: failed messages are visible here, never silently dropped."""

    paginator = EstimatedCountPaginator

    list_display = [
        "subject",
        "kind",
        "recipient",
        "state",
        "attempts",
        "last_error",
        "due_at",
        "sent_at",
    ]
    list_filter = ["state", "kind"]
    # What get_search_results searches; listed so that the search box shows.
    search_fields = ["recipient__email", "recipient__display_name", "dedupe_key"]
    search_help_text = (
        "A person's name or email address, or the start of a dedupe key (e.g. “session:42:”)."
    )
    # A search or filter counts its matches once, not the whole outbox a second time.
    show_full_result_count = False
    list_select_related = ["recipient"]
    list_per_page = 50  # rendering a row costs more than finding it, at any size
    autocomplete_fields = ["recipient"]
    readonly_fields = ["dedupe_key", "attempts", "last_error", "sending_since", "sent_at"]

    def get_search_results(self, request, queryset, search_term):
        """A search bounded by indexes: a substring search of millions of subjects reads them
        all. A term with a colon is the start of a dedupe key (its unique index serves a
        prefix); anything else finds people (a small table), then their messages by the
        (recipient, read_at) index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if ":" in term and " " not in term:
            return queryset.filter(dedupe_key__startswith=term), False
        return queryset.filter(recipient__in=people_matching(term)), False


class SessionSeatInline(LoadedRowsInline):
    model = SessionSeat
    fields = ["user", "role", "active", "confirmed_sequence", "checked_in_at", "no_show"]
    autocomplete_fields = ["user"]
    loaded = ["user", "session"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "pairing",
        "pairing__round",
        "pairing__round__cohort",
        "start",
        "end",
        "status",
        "room",
        "sequence",
        "late_cancellation",
    ]
    list_filter = [("start", admin.DateFieldListFilter), "status", "late_cancellation"]
    # What get_search_results searches; listed so that the search box shows.
    search_fields = ["seats__user__email", "seats__user__display_name", "pairing__round__name"]
    search_help_text = "A seated person's name or email address, or the round's name."
    show_full_result_count = False  # a year holds 100,000 sessions; a search counts only its own
    list_select_related = ["pairing__round__cohort", "room"]
    # Newest first, by the index on start. A date hierarchy read every session's month first.
    ordering = ["-start", "-pk"]
    list_per_page = 50  # rendering a row costs more than finding it, at any size
    inlines = [SessionSeatInline]
    raw_id_fields = ["pairing", "rematch_of"]
    autocomplete_fields = ["room", "proposed_by", "cancelled_by"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_search_results(self, request, queryset, search_term):
        """People and rounds found first (small tables), then their sessions by index; Django's
        search joined every session to its seats' users and de-duplicated: 5 s at 100,000."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # A UNION of two indexed look-ups: an OR of the two made PostgreSQL scan every session.
        found = (
            SessionSeat.objects.filter(user__in=people_matching(term))
            .values("session_id")
            .union(Session.objects.filter(pairing__round__in=rounds_matching(term)).values("pk"))
        )
        return queryset.filter(pk__in=found), False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort"]
    search_fields = ["name", "cohort__name"]
    list_select_related = ["cohort"]
    autocomplete_fields = ["cohort"]


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "cohort"]
    list_filter = ["weekday"]
    search_fields = ["user__email", "cohort__name"]
    list_select_related = ["user", "cohort"]
    autocomplete_fields = ["user", "cohort"]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["user", "start", "end", "note"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(EmailPreferences)
class EmailPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_kinds"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Only the hash is stored; an admin can revoke a feed by deleting its row."""

    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["token_hash", "created_at"]


class FeedbackItemInline(admin.TabularInline):
    model = FeedbackItem
    extra = 0


@admin.register(FeedbackTemplate)
class FeedbackTemplateAdmin(admin.ModelAdmin):
    """A template with responses is never changed in place (services.feedback.template_edit makes
    a new version), so here it is read-only once used."""

    list_display = ["name", "version", "is_current", "purpose", "owner"]
    list_filter = ["purpose", "is_current"]
    search_fields = ["name", "family"]
    list_select_related = ["owner"]
    inlines = [FeedbackItemInline]
    raw_id_fields = ["owner"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._used(request, obj):
            return False
        return super().has_change_permission(request, obj)

    @staticmethod
    def _used(request, template) -> bool:
        """Has the template responses? Asked once per request: the change page asks whether it
        may change the template six times (the form, the inline, the buttons)."""
        used = request.__dict__.setdefault("_dyad_templates_used", {})
        if template.pk not in used:
            used[template.pk] = FeedbackResponse.objects.filter(template=template).exists()
        return used[template.pk]


class FeedbackAnswerInline(admin.TabularInline):
    model = FeedbackAnswer
    extra = 0
    can_delete = False
    readonly_fields = ["item", "value", "text", "is_na"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")  # each row names its item


class FeedbackScoreInline(admin.TabularInline):
    model = FeedbackScore
    extra = 0
    can_delete = False
    readonly_fields = ["subscale", "value", "items_used", "imputed"]


@admin.register(FeedbackResponse)
class FeedbackResponseAdmin(admin.ModelAdmin):
    """Read-only: feedback is written by its authors, and an amendment is a new revision."""

    list_display = ["pk", "session", "purpose", "author", "about", "revision", "state"]
    list_filter = ["state", "purpose"]
    # What get_search_results searches; listed so that the search box shows.
    search_fields = ["author__email", "about__email", "author__display_name"]
    search_help_text = "The author's or the subject's name or email address."
    show_full_result_count = False
    ordering = ["-pk"]
    list_per_page = 50
    list_select_related = ["session", "author", "about"]
    raw_id_fields = ["session", "author", "about", "template"]
    inlines = [FeedbackAnswerInline, FeedbackScoreInline]

    def get_queryset(self, request):
        """Only what invariant 3 lets this person read (all of it for a programme admin)."""
        return super().get_queryset(request) & feedback_visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        """People found first (a small table), then their forms by the author and about indexes,
        as the pairing and session searches do; Django's search joined every form to two users."""
        term = search_term.strip()
        if not term:
            return queryset, False
        people = people_matching(term)
        found = (
            FeedbackResponse.objects.filter(author__in=people)
            .values("pk")
            .union(FeedbackResponse.objects.filter(about__in=people).values("pk"))
        )
        return queryset.filter(pk__in=found), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeedbackReveal)
class FeedbackRevealAdmin(admin.ModelAdmin):
    list_display = ["session", "revealed_at", "reason", "released_by"]
    list_filter = ["reason"]
    search_fields = ["session__pairing__round__name"]
    list_select_related = ["session", "released_by"]
    raw_id_fields = ["session", "released_by"]


@admin.register(Reflection)
class ReflectionAdmin(admin.ModelAdmin):
    list_display = ["session", "trainee", "usefulness", "goal", "goal_tried"]
    search_fields = ["trainee__email", "trainee__display_name", "goal"]
    show_full_result_count = False
    ordering = ["-pk"]
    list_per_page = 50
    list_select_related = ["session", "trainee"]
    raw_id_fields = ["session", "trainee"]

    def get_queryset(self, request):
        """Only the reflections permissions.reflections_visible_to lets this person read."""
        return super().get_queryset(request) & reflections_visible_to(request.user)


@admin.register(SessionReview)
class SessionReviewAdmin(admin.ModelAdmin):
    """The review queue's flags and who reviewed each session (written by services.review)."""

    list_display = ["session", "complete", "flagged", "reviewed_by", "reviewed_at"]
    list_filter = ["flagged", "complete"]
    list_select_related = ["session", "reviewed_by"]
    readonly_fields = ["session", "complete", "flags", "flagged", "reviewed_by", "reviewed_at"]
    raw_id_fields = ["session"]


class ScheduleTasksInline(beat_admin.PeriodicTaskInline):
    """A schedule's tasks, each titled with its schedule (PeriodicTask.__str__) without a query
    per task."""

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("interval", "crontab", "solar", "clocked")
        )


admin.site.unregister([ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule])


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin):
    inlines = [ScheduleTasksInline]


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    inlines = [ScheduleTasksInline]


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin):
    inlines = [ScheduleTasksInline]


@admin.register(SolarSchedule)
class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin):
    inlines = [ScheduleTasksInline]


# --- the session record: read-only here. The event log is the audit trail (never edited), and a
# recording's file is reached only through the permission-checked view. Care flags and notes are
# not in the admin at all: they are for the trainee's own supervisors (and process notes for the
# therapist-role trainee), whom the session page serves.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    raw_id_fields = ["session", "actor"]
    list_display = ["at", "session", "kind", "actor"]
    list_filter = ["kind"]
    search_fields = ["actor__email", "actor__display_name"]
    list_select_related = ["session", "actor"]
    date_hierarchy = "at"


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    raw_id_fields = ["session", "user"]
    list_display = ["session", "user", "given_at", "withdrawn_at"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["session", "user"]


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdmin):
    raw_id_fields = ["session", "uploaded_by"]
    list_display = ["session", "content_type", "size", "uploaded_by", "uploaded_at", "deleted_at"]
    fields = [*list_display, "duration_seconds", "deleted_because"]
    search_fields = ["uploaded_by__email", "uploaded_by__display_name"]
    list_select_related = ["session", "uploaded_by"]


@admin.register(RecordingComment)
class RecordingCommentAdmin(ReadOnlyAdmin):
    raw_id_fields = ["recording", "author"]
    list_display = ["recording", "at_seconds", "author", "created_at"]
    search_fields = ["author__email", "author__display_name", "text"]
    list_select_related = ["recording", "author"]


@admin.register(BriefRead)
class BriefReadAdmin(ReadOnlyAdmin):
    """Which client briefs each trainee has been shown: written by the pairing services, read by
    the round editor's warnings; never edited by hand."""

    raw_id_fields = ["trainee", "scenario"]
    list_display = ["trainee", "scenario", "role", "first_shown_at"]
    list_filter = ["role"]
    search_fields = ["trainee__email", "trainee__display_name", "scenario__title"]
    list_select_related = ["trainee", "scenario"]


@admin.register(ScenarioTally)
class ScenarioTallyAdmin(ReadOnlyAdmin):
    """Each scenario's running totals, kept by the feedback and session services; rebuild them
    with `roleplay.services.scenario_totals.scenario_totals_rebuild()` if edited elsewhere."""

    raw_id_fields = ["scenario"]
    list_display = ["scenario", "sessions_run", "realism_n", "client_n"]
    search_fields = ["scenario__title"]
    list_select_related = ["scenario"]
