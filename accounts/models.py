from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .timezones import timezone_choices, validate_timezone
from .validators import validate_single_line


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_programme_admin=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who logs in with their email. Roles in a cohort live on CohortMembership; the two
    programme-wide capabilities live here."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=120, blank=True, validators=[validate_single_line])
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        choices=timezone_choices,
        validators=[validate_timezone],
        help_text="Every time in Dyad is shown to you in this zone.",
    )
    is_programme_admin = models.BooleanField(
        default=False,
        help_text="Creates cohorts, appoints supervisors and sees every cohort.",
    )
    is_supervisor = models.BooleanField(
        default=False,
        help_text="May create cohorts (and then supervises them).",
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the account was deleted: the row stays, anonymised, so partners' "
        "records stay whole (see roleplay.services.accounts.account_delete).",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.deleted_at:
            return "a former supervisor" if self.is_supervisor else "a former trainee"
        return self.display_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events are never changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events are never deleted.")


class AuditEvent(models.Model):
    """One line of the audit log: who did what to whom, and when.

    Append-only: saving an existing row, `delete()` and queryset `update()`/`delete()` raise, the
    admin shows rows read-only, and on PostgreSQL a trigger (migration 0003) refuses UPDATE and
    DELETE from any client. The labels name people by account number and role, never by email or
    name, so the log does not keep what an account deletion removes; `actor` links to the live
    (possibly anonymised) row."""

    class Action(models.TextChoices):
        ACCOUNT_DELETED = "account_deleted", "Account deleted"
        DATA_EXPORTED = "data_exported", "Personal data exported"

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=40, choices=Action.choices)
    subject_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events are never deleted.")
