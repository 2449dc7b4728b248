from django.contrib import admin

from roleplay.models import (
    CalendarFeed,
    Cohort,
    CohortMembership,
    DoNotPair,
    EmailPreferences,
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
    Reflection,
    Room,
    Round,
    RoundAbsence,
    Scenario,
    Session,
    SessionSeat,
    TermPlan,
    TermPlanLock,
    Unavailability,
    WeeklyHours,
)
from roleplay.services import invitations as invitation_services


class MembershipInline(admin.TabularInline):
    model = CohortMembership
    fk_name = "cohort"
    extra = 0
    fields = ["user", "role", "joined_at", "ended_at"]
    autocomplete_fields = ["user"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "term_start", "term_end", "time_zone", "created_by"]
    list_filter = ["term_start"]
    search_fields = ["name"]
    date_hierarchy = "term_start"
    inlines = [MembershipInline]
    autocomplete_fields = ["created_by"]


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
    autocomplete_fields = ["owner"]


class PairingMemberInline(admin.TabularInline):
    model = PairingMember
    extra = 0
    fields = ["trainee", "role", "round"]
    autocomplete_fields = ["trainee"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "status", "opens", "closes", "session_minutes"]
    list_filter = ["status"]
    search_fields = ["name", "cohort__name"]
    list_select_related = ["cohort"]
    filter_horizontal = ["scenarios"]
    raw_id_fields = ["client_template", "therapist_template", "observer_template"]


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ["pk", "round", "scenario", "client_chooses", "locked"]
    list_filter = ["locked", "client_chooses"]
    search_fields = ["round__name", "members__trainee__email", "members__trainee__display_name"]
    list_select_related = ["round", "scenario"]
    inlines = [PairingMemberInline]


@admin.register(DoNotPair)
class DoNotPairAdmin(admin.ModelAdmin):
    list_display = ["trainee_a", "trainee_b", "cohort", "reason", "created_by"]
    search_fields = ["trainee_a__email", "trainee_b__email", "cohort__name"]
    list_select_related = ["trainee_a", "trainee_b", "cohort"]


@admin.register(TermPlan)
class TermPlanAdmin(admin.ModelAdmin):
    """Made by the planner's Celery task; a stuck "solving" plan is re-asked from its page."""

    list_display = ["cohort", "state", "source", "rounds", "first_repeat", "finished_at"]
    list_filter = ["state", "source"]
    search_fields = ["cohort__name"]
    list_select_related = ["cohort"]
    readonly_fields = ["schedule", "basis", "first_round", "first_repeat", "proven", "source"]


@admin.register(TermPlanLock)
class TermPlanLockAdmin(admin.ModelAdmin):
    list_display = ["plan", "round_number", "trainee"]
    search_fields = ["plan__cohort__name", "trainee__email"]
    list_select_related = ["plan", "trainee"]


@admin.register(RoundAbsence)
class RoundAbsenceAdmin(admin.ModelAdmin):
    list_display = ["trainee", "round", "reason"]
    search_fields = ["trainee__email", "round__name"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox: failed messages are visible here, never silently dropped."""

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
    search_fields = ["recipient__email", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    readonly_fields = ["dedupe_key", "attempts", "last_error", "sending_since", "sent_at"]


class SessionSeatInline(admin.TabularInline):
    model = SessionSeat
    extra = 0
    fields = ["user", "role", "active", "confirmed_sequence", "checked_in_at", "no_show"]
    autocomplete_fields = ["user"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "pairing",
        "start",
        "end",
        "status",
        "room",
        "sequence",
        "late_cancellation",
    ]
    list_filter = ["status", "late_cancellation"]
    search_fields = ["seats__user__email", "seats__user__display_name", "pairing__round__name"]
    list_select_related = ["pairing__round", "room"]
    date_hierarchy = "start"
    inlines = [SessionSeatInline]
    raw_id_fields = ["pairing", "rematch_of"]
    autocomplete_fields = ["proposed_by", "cancelled_by"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort"]
    search_fields = ["name", "cohort__name"]


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "cohort"]
    list_filter = ["weekday"]
    search_fields = ["user__email", "cohort__name"]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["user", "start", "end", "note"]
    search_fields = ["user__email"]


@admin.register(EmailPreferences)
class EmailPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_kinds"]
    search_fields = ["user__email"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Only the hash is stored; an admin can revoke a feed by deleting its row."""

    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
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
    inlines = [FeedbackItemInline]
    raw_id_fields = ["owner"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and FeedbackResponse.objects.filter(template=obj).exists():
            return False
        return super().has_change_permission(request, obj)


class FeedbackAnswerInline(admin.TabularInline):
    model = FeedbackAnswer
    extra = 0
    can_delete = False
    readonly_fields = ["item", "value", "text", "is_na"]


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
    search_fields = ["author__email", "about__email", "author__display_name"]
    list_select_related = ["session", "author", "about"]
    inlines = [FeedbackAnswerInline, FeedbackScoreInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeedbackReveal)
class FeedbackRevealAdmin(admin.ModelAdmin):
    list_display = ["session", "revealed_at", "reason", "released_by"]
    list_filter = ["reason"]
    search_fields = ["session__pairing__round__name"]
    raw_id_fields = ["session", "released_by"]


@admin.register(Reflection)
class ReflectionAdmin(admin.ModelAdmin):
    list_display = ["session", "trainee", "usefulness", "goal", "goal_tried"]
    search_fields = ["trainee__email", "trainee__display_name", "goal"]
    raw_id_fields = ["session", "trainee"]
