from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.display(description="time zone", ordering="time_zone")
def time_zone_column(obj) -> str:
    """The zone's label, without Django's lookup among the ~600 zone choices for every row."""
    return obj.time_zone.replace("_", " ")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        time_zone_column,
        "is_programme_admin",
        "is_supervisor",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_programme_admin", "is_supervisor", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "time_zone"]}),
        ("Dyad roles", {"fields": ["is_programme_admin", "is_supervisor"]}),
        (
            "Django permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
