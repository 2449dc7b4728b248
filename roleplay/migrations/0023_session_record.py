"""The record of a session: events, consents, recordings and their comments, notes, care flags,
and the cohort's recording retention. On PostgreSQL a trigger makes the event log append-only:
any UPDATE of an event is refused (models.events)."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import roleplay.models.record

APPEND_ONLY = [
    """CREATE FUNCTION roleplay_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'roleplay_event is append-only: events are never edited'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER event_append_only BEFORE UPDATE ON roleplay_event
       FOR EACH ROW EXECUTE FUNCTION roleplay_event_append_only()""",
]
ALLOW_EDITS = [
    "DROP TRIGGER IF EXISTS event_append_only ON roleplay_event",
    "DROP FUNCTION IF EXISTS roleplay_event_append_only()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("roleplay", "0022_message_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="recording_retention_days",
            field=models.PositiveSmallIntegerField(
                default=30,
                help_text="Session recordings are deleted this many days after they are uploaded.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
                verbose_name="Keep recordings for (days)",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(
                choices=[
                    ("pairing_published", "Pairing published"),
                    ("pairing_changed", "Pairing changed"),
                    ("proposal_waiting", "A proposed time waits for you"),
                    ("session_confirmed", "Session confirmed"),
                    ("session_rescheduled", "Session rescheduled"),
                    ("session_cancelled", "Session cancelled"),
                    ("late_cancellation", "Late cancellation (to supervisors)"),
                    ("reminder_24h", "Reminder 24 hours before"),
                    ("reminder_1h", "Reminder 1 hour before"),
                    ("session_ended", "Session ended"),
                    ("unbooked_nudge", "Pairing not booked yet"),
                    ("weekly_digest", "Weekly digest (supervisors)"),
                    ("feedback_nudge", "Feedback still to write"),
                    ("feedback_closing", "Feedback window closes in 24 hours"),
                    ("feedback_revealed", "Feedback about you can be read"),
                    ("care_flag", "A trainee asks you to check in (supervisors)"),
                ],
                max_length=40,
            ),
        ),
        migrations.CreateModel(
            name="CareFlag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("note", models.TextField(blank=True, max_length=2000)),
                ("raised_at", models.DateTimeField()),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "raised_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="care_flags",
                        to="roleplay.session",
                    ),
                ),
            ],
            options={
                "ordering": ["-raised_at"],
            },
        ),
        migrations.CreateModel(
            name="Recording",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        max_length=200,
                        storage=roleplay.models.record._recordings_storage,
                        upload_to=roleplay.models.record.recording_path,
                    ),
                ),
                ("content_type", models.CharField(max_length=60)),
                ("size", models.PositiveBigIntegerField()),
                (
                    "duration_seconds",
                    models.FloatField(
                        blank=True,
                        help_text="Read from the file; empty if its format does not say.",
                        null=True,
                    ),
                ),
                ("uploaded_at", models.DateTimeField()),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
                ("deleted_because", models.CharField(blank=True, max_length=120)),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="recordings",
                        to="roleplay.session",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["uploaded_at"],
            },
        ),
        migrations.CreateModel(
            name="RecordingComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at_seconds", models.PositiveIntegerField()),
                ("text", models.TextField(max_length=2000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "recording",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comments",
                        to="roleplay.recording",
                    ),
                ),
            ],
            options={
                "ordering": ["at_seconds", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Consent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("given_at", models.DateTimeField()),
                ("withdrawn_at", models.DateTimeField(blank=True, null=True)),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consents",
                        to="roleplay.session",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["given_at"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("withdrawn_at__isnull", True)),
                        fields=("session", "user"),
                        name="consent_one_standing_per_person",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Event",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed a time"),
                            ("confirmed", "Confirmed the time"),
                            ("scheduled", "Scheduled"),
                            ("rescheduled", "Proposed a new time"),
                            ("cancelled", "Cancelled"),
                            ("reminder_sent", "Reminder sent"),
                            ("checked_in", "Checked in"),
                            ("ended", "Session ended"),
                            ("no_show", "Recorded as a no-show"),
                            ("feedback_submitted", "Feedback submitted"),
                            ("revealed", "Feedback revealed"),
                            ("reviewed", "Reviewed by a supervisor"),
                            ("consent_given", "Consented to recording"),
                            ("consent_withdrawn", "Withdrew consent to recording"),
                            ("recording_uploaded", "Recording uploaded"),
                            ("recording_deleted", "Recording deleted"),
                        ],
                        max_length=24,
                    ),
                ),
                ("data", models.JSONField(blank=True, default=dict)),
                ("at", models.DateTimeField(db_index=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="roleplay.session",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "pk"],
                "indexes": [
                    models.Index(fields=["session", "at"], name="roleplay_ev_session_779c02_idx")
                ],
            },
        ),
        migrations.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("process", "My process notes (private: you and your supervisors)"),
                            ("shared", "Session notes (everyone in the session)"),
                        ],
                        max_length=10,
                    ),
                ),
                ("text", models.TextField(max_length=20000)),
                ("written_at", models.DateTimeField()),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        help_text="Whose private process notes these are; empty for shared session notes.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="roleplay.session",
                    ),
                ),
            ],
            options={
                "ordering": ["-written_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["session", "kind", "written_at"],
                        name="roleplay_no_session_ee461d_idx",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "process"), ("owner__isnull", False)),
                            models.Q(("kind", "shared"), ("owner__isnull", True)),
                            _connector="OR",
                        ),
                        name="note_process_has_owner",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="recording",
            index=models.Index(
                fields=["deleted_at", "uploaded_at"], name="roleplay_re_deleted_786e88_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="recording",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=("session",),
                name="recording_one_current_per_session",
            ),
        ),
        migrations.RunPython(run(APPEND_ONLY), run(ALLOW_EDITS)),
    ]
