from django.urls import path

from .views import cohorts, dashboard, invitations, notifications, pairings, rounds, scenarios

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
    path("cohorts/<int:pk>/rounds/", rounds.round_list, name="round_list"),
    path("cohorts/<int:pk>/rounds/new/", rounds.round_create, name="round_create"),
    path("cohorts/<int:pk>/do-not-pair/", rounds.do_not_pair, name="do_not_pair"),
    path(
        "cohorts/<int:pk>/do-not-pair/<int:constraint_id>/delete/",
        rounds.do_not_pair_delete,
        name="do_not_pair_delete",
    ),
    path("rounds/<int:pk>/", rounds.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", rounds.round_edit, name="round_edit"),
    path("rounds/<int:pk>/suggest/", rounds.round_suggest, name="round_suggest"),
    path("rounds/<int:pk>/accept/", rounds.round_accept, name="round_accept"),
    path("rounds/<int:pk>/arrange/", rounds.round_arrange, name="round_arrange"),
    path("rounds/<int:pk>/publish/", rounds.round_publish, name="round_publish"),
    path("rounds/<int:pk>/close/", rounds.round_close, name="round_close"),
    path("rounds/<int:pk>/absence/", rounds.round_absence, name="round_absence"),
    path("pairings/", pairings.my_pairings, name="my_pairings"),
    path("pairings/<int:pk>/", pairings.pairing_detail, name="pairing_detail"),
    path("scenarios/", scenarios.scenario_list, name="scenario_list"),
    path("scenarios/new/", scenarios.scenario_form, name="scenario_create"),
    path("scenarios/<int:pk>/", scenarios.scenario_detail, name="scenario_detail"),
    path("scenarios/<int:pk>/edit/", scenarios.scenario_form, name="scenario_edit"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
]
