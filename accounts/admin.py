from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from roleplay.services.accounts import account_delete, may_delete_account

from .models import AuditEvent, User
from .timezones import TimeZoneField


def _is_programme_admin(request) -> bool:
    return request.user.is_active and request.user.is_programme_admin


@admin.display(description="time zone", ordering="time_zone")
def time_zone_column(obj) -> str:
    """The zone's label, without Django's lookup among the ~600 zone choices for every row."""
    return obj.time_zone.replace("_", " ")


class TimeZoneAdminMixin:
    """A model admin's ``time_zone`` field as Dyad's own forms offer it: the canonical zones by
    region (a stored alias stays shown), written without a template per option — Django's select
    of all ~600 names made the cohort and user change pages the admin's slowest (issue 10)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            return TimeZoneField(
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
                required=not db_field.blank,
                initial=db_field.get_default(),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(TimeZoneAdminMixin, DjangoUserAdmin):
    """Deleting a user here deletes the account the way the person would themselves
    (roleplay.services.accounts.account_delete): the row is anonymised, never removed, so the
    records that protect it do not stop the deletion. Programme admins may do it."""

    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        time_zone_column,
        "is_programme_admin",
        "is_supervisor",
        "is_active",
        "deleted_at",
        "last_login",
    ]
    list_filter = [
        "is_programme_admin",
        "is_supervisor",
        "is_active",
        "is_staff",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "display_name"]
    readonly_fields = ["deleted_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "time_zone"]}),
        ("Dyad roles", {"fields": ["is_programme_admin", "is_supervisor"]}),
        (
            "Django permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined", "deleted_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def has_module_permission(self, request) -> bool:
        return _is_programme_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_programme_admin(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None:
            return may_delete_account(user=obj, by=request.user)
        return request.user.is_active and (
            request.user.is_superuser or request.user.is_programme_admin
        )

    def get_deleted_objects(self, objs, request):
        """Nothing is cascaded or protected: list what happens to each account instead of
        Django's tree of related rows (which would refuse anyone with sessions)."""
        objs = list(objs)
        summary = [
            f"{user.email}: personal data deleted; past sessions stay in partners' records, "
            "anonymised"
            for user in objs
        ]
        refused = {
            user.email for user in objs if not may_delete_account(user=user, by=request.user)
        }
        return summary, {User._meta.verbose_name_plural: len(objs)}, refused, []

    def log_deletions(self, request, queryset):
        """Django's history would keep the person's name; the audit log records the deletion."""
        return []

    def delete_model(self, request, obj) -> None:
        account_delete(user=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        # get_deleted_objects has already refused the whole action if any account may not go.
        for user in queryset:
            account_delete(user=user, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is appended to by the services, never edited."""

    list_display = ["at", "action", "actor_label", "subject_label"]
    list_filter = ["action"]
    search_fields = ["actor_label", "subject_label"]
    date_hierarchy = "at"
    readonly_fields = ["at", "action", "actor", "actor_label", "subject_label", "data"]
    list_select_related = ["actor"]

    def has_module_permission(self, request) -> bool:
        return _is_programme_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_programme_admin(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
