from django.urls import path

from .views import cohorts, dashboard, invitations

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("cohorts/new/", cohorts.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", cohorts.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/edit/", cohorts.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/invite/", cohorts.cohort_invite, name="cohort_invite"),
    path("cohorts/<int:pk>/supervisors/", cohorts.supervisor_appoint, name="supervisor_appoint"),
    path(
        "cohorts/<int:pk>/members/<int:membership_id>/remove/",
        cohorts.member_remove,
        name="member_remove",
    ),
    path(
        "cohorts/<int:pk>/invitations/<int:invitation_id>/resend/",
        cohorts.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "cohorts/<int:pk>/invitations/<int:invitation_id>/revoke/",
        cohorts.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
]
