from django.contrib import admin

from roleplay.models import Cohort, CohortMembership, Invitation
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
    list_display = ["email", "cohort", "role", "status", "send_attempts", "sent_at", "expires_at"]
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
