"""Pairing a round: suggestions (nothing saved until accepted), the supervisor's own arrangement,
and publishing. The maths lives in pairing_algorithm; this module reads and writes the database."""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    ACTIVE_SESSION,
    BriefRead,
    CohortMembership,
    DoNotPair,
    MessageKind,
    Pairing,
    PairingMember,
    PairingRole,
    Role,
    Round,
    RoundAbsence,
    RoundStatus,
    Scenario,
    Session,
)
from roleplay.permissions import Action, may
from roleplay.selectors.cohorts import active_trainees
from roleplay.selectors.rounds import briefs_read

from . import notify
from .pairing_algorithm import Group, PairingImpossible, TraineeState, suggest_groups
from .scenario_totals import scenario_totals_rebuild
from .term_plans import planned_groups

__all__ = ["PairingImpossible"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlotError:
    """An error about one slot of an arrangement, so the editor can show it beside that pairing."""

    slot: str
    message: str

    def __str__(self) -> str:
        return self.message


class ArrangementRefused(Exception):
    """`errors` are all the sentences; `by_slot` holds those about one slot (pairing) and
    `general` the rest."""

    def __init__(self, errors: list[str | SlotError]):
        errors = list(dict.fromkeys(errors))
        super().__init__("; ".join(map(str, errors)))
        self.errors = list(dict.fromkeys(map(str, errors)))
        self.general = [error for error in errors if not isinstance(error, SlotError)]
        self.by_slot: dict[str, list[str]] = defaultdict(list)
        for error in errors:
            if isinstance(error, SlotError):
                self.by_slot[error.slot].append(error.message)


def refuse_if_closed(round_: Round) -> None:
    """A closed round is the record: nothing in it changes until a supervisor reopens it."""
    if round_.status == RoundStatus.CLOSED:
        raise ArrangementRefused([f"{round_.name} is closed; reopen it to change it."])


@dataclass
class SlotOptions:
    scenario: Scenario | None = None
    client_chooses: bool = False
    locked: bool = False


@dataclass(frozen=True)
class ArrangementWarning:
    """Something the supervisor should look at but may allow. `slot` is the pairing it is about
    ("" for the round as a whole) and `trainees` the people it is about alone, so the editor can
    show it on that pairing's row and on those trainees' rows rather than at the top."""

    text: str
    slot: str = ""
    trainees: tuple[int, ...] = ()


@dataclass
class Arrangement:
    """Who is in which slot with which role. A slot is an existing pairing's id or a new label."""

    members: dict[int, tuple[str, str]] = field(default_factory=dict)  # user id → (slot, role)
    options: dict[str, SlotOptions] = field(default_factory=dict)


# --- reading the round's situation ---------------------------------------------------------------


def trainees_present(round_: Round) -> list[User]:
    absent = RoundAbsence.objects.filter(round=round_).values("trainee_id")
    return list(active_trainees(round_.cohort).exclude(pk__in=absent).order_by("pk"))


def _groups_of(pairing_members) -> dict[int, Group]:
    by_pairing: dict[int, dict[str, int]] = defaultdict(dict)
    for member in pairing_members:
        by_pairing[member.pairing_id][member.role] = member.trainee_id
    return {
        pairing_id: Group(
            client=roles.get(PairingRole.CLIENT),
            therapist=roles.get(PairingRole.THERAPIST),
            observer=roles.get(PairingRole.OBSERVER),
        )
        for pairing_id, roles in by_pairing.items()
    }


def history_of(round_: Round) -> list[list[Group]]:
    """The groups of the cohort's earlier published or closed rounds, oldest first."""
    earlier = (
        Round.objects.filter(cohort=round_.cohort, opens__lt=round_.opens)
        .exclude(status=RoundStatus.DRAFT)
        .exclude(pk=round_.pk)
        .order_by("opens", "pk")
    )
    members = PairingMember.objects.filter(round__in=earlier).order_by("round__opens", "round_id")
    by_round: dict[int, list] = defaultdict(list)
    for member in members:
        by_round[member.round_id].append(member)
    return [list(_groups_of(by_round[r.pk]).values()) for r in earlier if by_round[r.pk]]


def _turns(history: list[list[Group]]) -> dict[int, Counter]:
    turns: dict[int, Counter] = defaultdict(Counter)
    for groups in history:
        for group in groups:
            turns[group.client]["client"] += 1
            turns[group.therapist]["therapist"] += 1
            if group.observer:
                turns[group.observer]["observer"] += 1
    return turns


def _states(users: list[User], history: list[list[Group]]) -> list[TraineeState]:
    turns = _turns(history)
    return [
        TraineeState(
            id=user.pk,
            name=user.name,
            client_turns=turns[user.pk]["client"],
            therapist_turns=turns[user.pk]["therapist"],
            observer_turns=turns[user.pk]["observer"],
        )
        for user in users
    ]


def _forbidden(round_: Round) -> set[frozenset[int]]:
    return {
        frozenset(pair)
        for pair in DoNotPair.objects.filter(cohort=round_.cohort).values_list(
            "trainee_a_id", "trainee_b_id"
        )
    }


# --- suggesting and accepting --------------------------------------------------------------------


def pairings_suggest(*, round_: Round) -> list[Group]:
    """Suggested groups for everyone present who is not in a locked pairing. Saves nothing.

    When the cohort's term plan is current (made from the rounds held, absences, locks and
    do-not-pair as they are now) the plan's groups for this round are the suggestion; otherwise
    today's round-by-round suggestion is. Raises PairingImpossible with a sentence for the
    supervisor when no valid set exists."""
    refuse_if_closed(round_)
    planned = planned_groups(round_=round_)
    if planned is not None:
        return planned
    locked = Pairing.objects.filter(round=round_, locked=True)
    locked_groups = list(_groups_of(PairingMember.objects.filter(pairing__in=locked)).values())
    in_locked = {member for group in locked_groups for member in _ids(group)}
    present = [user for user in trainees_present(round_) if user.pk not in in_locked]
    history = history_of(round_)
    cohort_order = list(
        CohortMembership.objects.active()
        .filter(cohort=round_.cohort, role=Role.TRAINEE)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    return suggest_groups(
        present=_states(present, history),
        history=history,
        forbidden=_forbidden(round_),
        locked=locked_groups,
        cohort_order=cohort_order,
    )


def _ids(group: Group) -> list[int]:
    return [member for member in (group.client, group.therapist, group.observer) if member]


@transaction.atomic
def pairings_accept(*, round_: Round, groups: list[Group]) -> list[str]:
    """Replace the round's unlocked pairings with `groups` (locked pairings stay as they are).

    The groups are checked like any arrangement, since they come back from a page: a
    do-not-pair pair or a broken group is refused; repeats and imbalance come back as warnings."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if not round_.is_draft:
        raise ArrangementRefused(["Suggestions can only be accepted while the round is a draft."])
    arrangement = Arrangement()
    locked = PairingMember.objects.filter(round=round_, pairing__locked=True).select_related(
        "pairing__scenario"
    )
    for member in locked:
        slot = f"locked{member.pairing_id}"
        arrangement.members[member.trainee_id] = (slot, member.role)
        arrangement.options[slot] = SlotOptions(scenario=member.pairing.scenario)
    for number, group in enumerate(groups):
        for role, trainee_id in _roles(group):
            arrangement.members[trainee_id] = (f"new{number}", role)
    errors, warnings = arrangement_check(round_=round_, arrangement=arrangement)
    if errors:
        raise ArrangementRefused(list(dict.fromkeys(errors)))
    Pairing.objects.filter(round=round_, locked=False).delete()
    pairings = Pairing.objects.bulk_create([Pairing(round=round_) for _ in groups])
    PairingMember.objects.bulk_create(
        PairingMember(pairing=pairing, round=round_, trainee_id=trainee_id, role=role)
        for pairing, group in zip(pairings, groups, strict=True)
        for role, trainee_id in _roles(group)
    )
    return _texts(warnings)


def _roles(group: Group) -> list[tuple[str, int]]:
    roles = [(PairingRole.CLIENT, group.client), (PairingRole.THERAPIST, group.therapist)]
    if group.observer:
        roles.append((PairingRole.OBSERVER, group.observer))
    return roles


# --- the supervisor's own arrangement ------------------------------------------------------------


def arrangement_check(
    *, round_: Round, arrangement: Arrangement, present: list[User] | None = None
) -> tuple[list[str | SlotError], list[ArrangementWarning]]:
    """(errors, warnings) for an arrangement. Errors refuse it (those about one pairing as a
    SlotError); warnings are shown and allowed, each on the rows it concerns (see
    ArrangementWarning). `present` is trainees_present(round_), when the caller has it already."""
    if present is None:
        present = trainees_present(round_)
    present = {user.pk: user for user in present}
    errors: list[str | SlotError] = []
    warnings: list[ArrangementWarning] = []
    slots: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for user_id, (slot, role) in arrangement.members.items():
        if user_id not in present:
            errors.append("Only trainees present in this round can be paired.")
            continue
        slots[slot][role].append(user_id)

    def name(user_id: int) -> str:
        return present[user_id].name

    groups: dict[str, Group] = {}
    for slot, roles in slots.items():
        members = ", ".join(name(u) for us in roles.values() for u in us)
        label = f"The pairing of {members}"
        for role, wanted in (("client", 1), ("therapist", 1)):
            if len(roles.get(role, [])) != wanted:
                errors.append(SlotError(slot, f"{label} needs exactly one {role}."))
        if len(roles.get("observer", [])) > 1:
            errors.append(SlotError(slot, f"{label} has more than one observer."))
        if any(len(users) != 1 for users in roles.values()) or len(roles) < 2:
            continue
        groups[slot] = Group(
            client=roles["client"][0],
            therapist=roles["therapist"][0],
            observer=roles.get("observer", [None])[0],
        )
    forbidden = _forbidden(round_)
    history = history_of(round_)
    met = Counter(
        frozenset(pair)
        for groups_then in history
        for group in groups_then
        for pair in _pairs(group)
    )
    turns = _turns(history)
    scenarios = {
        slot: options.scenario
        for slot, options in arrangement.options.items()
        if slot in groups and options.scenario is not None
    }
    read = briefs_read(
        trainee_ids=[group.therapist for group in groups.values()],
        scenario_ids={scenario.pk for scenario in scenarios.values()},
    )
    for slot, group in groups.items():
        for pair in _pairs(group):
            a, b = sorted(pair)
            if frozenset(pair) in forbidden:
                errors.append(
                    SlotError(
                        slot,
                        f"{name(a)} and {name(b)} may not be paired (a do-not-pair constraint).",
                    )
                )
            elif met[frozenset(pair)]:
                warnings.append(
                    ArrangementWarning(
                        f"{name(a)} and {name(b)} have practised together before.", slot
                    )
                )
        for trainee_id, role in ((group.client, "client"), (group.therapist, "therapist")):
            counts = turns[trainee_id].copy()
            counts[role] += 1
            if abs(counts["client"] - counts["therapist"]) > 1:
                more = "client" if counts["client"] > counts["therapist"] else "therapist"
                text = (
                    f"{name(trainee_id)} would have been {more} two more times than "
                    f"{'therapist' if more == 'client' else 'client'}."
                )
                warnings.append(ArrangementWarning(text, slot, (trainee_id,)))
        scenario = scenarios.get(slot)
        roles_then = read.get((group.therapist, scenario.pk)) if scenario else None
        if roles_then:
            text = (
                f"{name(group.therapist)} has read the client brief of {scenario.title} "
                f"before (as {' and '.join(roles_then)})."
            )
            warnings.append(ArrangementWarning(text, slot, (group.therapist,)))
    unpaired = sorted(set(present) - set(arrangement.members))
    if unpaired:
        warnings.append(
            ArrangementWarning(
                "Not yet in a pairing: " + ", ".join(name(u) for u in unpaired) + "."
            )
        )
    return errors, warnings


def stored_arrangement(*, round_: Round) -> Arrangement:
    """The round's pairings as saved, in the editor's terms (each pairing's slot is its id), in
    two queries and without loading the trainees: the editor shows it, and its warnings come from
    arrangement_check like those of a posted one."""
    arrangement = Arrangement()
    pairings = (
        Pairing.objects.filter(round=round_)
        .select_related("scenario")
        .defer("scenario__client_brief")
        .order_by("pk")
    )
    for pairing in pairings:
        arrangement.options[str(pairing.pk)] = SlotOptions(
            pairing.scenario, pairing.client_chooses, pairing.locked
        )
    members = PairingMember.objects.filter(round=round_).values_list(
        "trainee_id", "pairing_id", "role"
    )
    for trainee_id, pairing_id, role in members.order_by():
        arrangement.members[trainee_id] = (str(pairing_id), role)
    return arrangement


def _texts(warnings: list[ArrangementWarning]) -> list[str]:
    return list(dict.fromkeys(warning.text for warning in warnings))


def _pairs(group: Group) -> list[tuple[int, int]]:
    ids = _ids(group)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]


def _signatures(round_: Round) -> dict[int, tuple]:
    """What each trainee was told about this round: partners, role and scenario."""
    members = PairingMember.objects.filter(round=round_).select_related("pairing")
    by_pairing: dict[int, list[PairingMember]] = defaultdict(list)
    for member in members:
        by_pairing[member.pairing_id].append(member)
    signature = {}
    for group in by_pairing.values():
        for member in group:
            partners = tuple(sorted((m.trainee_id, m.role) for m in group))
            signature[member.trainee_id] = (partners, member.pairing.scenario_id)
    return signature


@transaction.atomic
def round_arrange(*, round_: Round, arrangement: Arrangement) -> list[str]:
    """Save the supervisor's arrangement of the whole round; returns warnings to show.

    Existing pairings keep their identity (later sessions hang off them); emptied ones go. After
    publishing, only the trainees whose partner, role or scenario changed are notified."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    refuse_if_closed(round_)
    errors, warnings = arrangement_check(round_=round_, arrangement=arrangement)
    if errors:
        raise ArrangementRefused(errors)
    _refuse_changes_to_booked_pairings(round_, arrangement)
    before = _signatures(round_)
    existing = {str(p.pk): p for p in Pairing.objects.filter(round=round_)}
    used_slots = {slot for slot, _ in arrangement.members.values()}
    pairing_for: dict[str, Pairing] = {}
    rescenarioed: dict[int, set[int | None]] = {}
    for slot in sorted(used_slots):
        options = arrangement.options.get(slot, SlotOptions())
        pairing = existing.get(slot) or Pairing(round=round_)
        new_scenario_id = options.scenario.pk if options.scenario else None
        if pairing.pk is not None and pairing.scenario_id != new_scenario_id:
            rescenarioed[pairing.pk] = {pairing.scenario_id, new_scenario_id}
        pairing.scenario = options.scenario
        pairing.client_chooses = options.client_chooses
        pairing.locked = options.locked
        pairing.save()
        pairing_for[slot] = pairing
    PairingMember.objects.filter(round=round_).delete()
    Pairing.objects.filter(round=round_).exclude(
        pk__in=[p.pk for p in pairing_for.values()]
    ).delete()
    PairingMember.objects.bulk_create(
        PairingMember(pairing=pairing_for[slot], round=round_, trainee_id=user_id, role=role)
        for user_id, (slot, role) in arrangement.members.items()
    )
    _scenario_totals_follow(rescenarioed)
    briefs_record(round_=round_)
    if round_.status == RoundStatus.PUBLISHED:
        after = _signatures(round_)
        changed = {u for u in set(before) | set(after) if before.get(u) != after.get(u)}
        if changed:
            round_.revision += 1
            round_.save(update_fields=["revision"])
            _notify(round_, changed, MessageKind.PAIRING_CHANGED)
    return _texts(warnings)


def _refuse_changes_to_booked_pairings(round_: Round, arrangement: Arrangement) -> None:
    """A pairing with a booked session keeps its people and roles: the session's seats (and
    everyone's calendars) hang off them. Cancel the session first, then rearrange."""
    booked = Pairing.objects.filter(
        round=round_, sessions__status__in=ACTIVE_SESSION
    ).prefetch_related("members__trainee")
    wanted = defaultdict(set)
    for user_id, (slot, role) in arrangement.members.items():
        wanted[slot].add((user_id, role))
    for pairing in booked:
        now = {(m.trainee_id, m.role) for m in pairing.members.all()}
        if wanted.get(str(pairing.pk)) != now:
            names = ", ".join(m.trainee.name for m in pairing.members.all())
            raise ArrangementRefused(
                [
                    SlotError(
                        str(pairing.pk),
                        f"The pairing of {names} has a session booked; "
                        "cancel it before changing them.",
                    )
                ]
            )
    with_history = Pairing.objects.filter(round=round_, sessions__isnull=False).distinct()
    for pairing in with_history.prefetch_related("members__trainee"):
        if str(pairing.pk) not in wanted:
            names = ", ".join(m.trainee.name for m in pairing.members.all())
            raise ArrangementRefused(
                [
                    SlotError(
                        str(pairing.pk),
                        f"The pairing of {names} has a session record, so it cannot be emptied.",
                    )
                ]
            )


def pairing_remove_trainee(*, round_: Round, trainee: User) -> None:
    """Take a trainee out of their pairing; a dyad left with one person is dissolved, and a triad
    that loses its client or therapist hands the role to its observer."""
    member = PairingMember.objects.filter(round=round_, trainee=trainee).first()
    if member is None:
        return
    pairing = member.pairing
    member.delete()
    rest = list(pairing.members.all())
    if len(rest) < 2:
        pairing.delete()
        return
    observer = next((m for m in rest if m.role == PairingRole.OBSERVER), None)
    if observer and member.role != PairingRole.OBSERVER:
        observer.role = member.role
        observer.save(update_fields=["role"])


# --- publishing ----------------------------------------------------------------------------------


@transaction.atomic
def round_publish(*, round_: Round) -> int:
    """Publish a draft round: everyone present must be paired. Notifies every paired trainee
    (email and in-app) with their partner(s), role and scenario title. Returns how many."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if not round_.is_draft:
        raise ArrangementRefused(["This round is already published."])
    paired = set(PairingMember.objects.filter(round=round_).values_list("trainee_id", flat=True))
    unpaired = [user.name for user in trainees_present(round_) if user.pk not in paired]
    if not paired:
        raise ArrangementRefused(["Pair the trainees before publishing."])
    if unpaired:
        raise ArrangementRefused(
            ["Everyone present must be in a pairing first: " + ", ".join(unpaired) + "."]
        )
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = timezone.now()
    round_.save(update_fields=["status", "published_at"])
    briefs_record(round_=round_)
    _notify(round_, paired, MessageKind.PAIRING_PUBLISHED)
    return len(paired)


def _notify(round_: Round, trainee_ids: set[int], kind: str) -> None:
    members = (
        PairingMember.objects.filter(round=round_)
        .select_related("trainee", "pairing__scenario")
        .order_by("pairing_id", "role")
    )
    by_pairing: dict[int, list[PairingMember]] = defaultdict(list)
    for member in members:
        by_pairing[member.pairing_id].append(member)
    removed = set(trainee_ids) - {m.trainee_id for m in members}
    for group in by_pairing.values():
        for member in group:
            if member.trainee_id in trainee_ids:
                _notify_member(round_, member, group, kind)
    for user in User.objects.filter(pk__in=removed):
        notify.message_queue(
            kind=kind,
            recipient=user,
            dedupe_key=f"{kind}:{round_.pk}:{user.pk}:{round_.revision}",
            subject=f"{round_.name}: you are no longer paired",
            body=f"Your supervisor changed {round_.name} and you are not in a pairing now.",
            link=reverse("my_pairings"),
        )


def _notify_member(round_: Round, member: PairingMember, group: list, kind: str) -> None:
    partners = [
        f"{m.trainee.name} ({m.get_role_display().lower()})" for m in group if m is not member
    ]
    scenario = member.pairing.scenario
    if scenario:
        scenario_line = f"Scenario: {scenario.title}."
    elif member.pairing.client_chooses:
        scenario_line = "The client-role trainee chooses the scenario from this round's set."
    else:
        scenario_line = "Your supervisor will assign the scenario."
    verb = "is published" if kind == MessageKind.PAIRING_PUBLISHED else "has changed"
    notify.message_queue(
        kind=kind,
        recipient=member.trainee,
        dedupe_key=f"{kind}:{round_.pk}:{member.trainee_id}:{round_.revision}",
        subject=f"{round_.name}: you are the {member.get_role_display().lower()}",
        body=(
            f"Your pairing for {round_.name} in {round_.cohort.name} {verb}.\n"
            f"You play the {member.get_role_display().lower()}, with {', '.join(partners)}.\n"
            f"{scenario_line}"
        ),
        link=reverse("pairing_detail", args=[member.pairing_id]),
    )


@transaction.atomic
def pairing_choose_scenario(*, pairing: Pairing, trainee: User, scenario: Scenario) -> Pairing:
    """The client-role trainee picks a scenario from the round's set, when the supervisor allowed it."""
    is_client = pairing.members.filter(trainee=trainee, role=PairingRole.CLIENT).exists()
    if not (pairing.client_chooses and is_client):
        raise ArrangementRefused(["Only the client-role trainee chooses, and only when allowed."])
    if not pairing.round.scenarios.filter(pk=scenario.pk).exists():
        raise ArrangementRefused(["Choose a scenario from this round's set."])
    before = pairing.scenario_id
    pairing.scenario = scenario
    pairing.save(update_fields=["scenario"])
    if before != scenario.pk:
        _scenario_totals_follow({pairing.pk: {before, scenario.pk}})
    briefs_record(round_=pairing.round)
    return pairing


def briefs_record(*, round_: Round) -> None:
    """Once trainees can see a round, its client and observer seats have shown them their
    scenario's client brief: record each (trainee, scenario, role) for good, so a later
    rearrangement cannot hide it from the round editor's "has read the brief" flag."""
    if round_.status not in (RoundStatus.PUBLISHED, RoundStatus.CLOSED):
        return
    shown = PairingMember.objects.filter(
        round=round_,
        role__in=[PairingRole.CLIENT, PairingRole.OBSERVER],
        pairing__scenario__isnull=False,
    ).values_list("trainee_id", "pairing__scenario_id", "role")
    BriefRead.objects.bulk_create(
        [BriefRead(trainee_id=t, scenario_id=s, role=r) for t, s, r in shown],
        ignore_conflicts=True,
    )


def _scenario_totals_follow(changed: dict[int, set[int | None]]) -> None:
    """Pairings (by id) whose scenario changed, with the old and new scenario: if any has a
    session, its feedback and runs belong to the new scenario now, so both scenarios' totals are
    rebuilt from scratch (rare: a scenario is normally fixed before anyone meets)."""
    if not changed or not Session.objects.filter(pairing_id__in=list(changed)).exists():
        return
    scenario_ids = {pk for ids in changed.values() for pk in ids if pk is not None}
    scenario_totals_rebuild(scenario_ids=scenario_ids)


@transaction.atomic
def round_close(*, round_: Round) -> Round:
    """Close a published round: its pairings become part of the record (past pairings), and
    nothing in it can be booked or rearranged until it is reopened."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.PUBLISHED:
        raise ArrangementRefused(["Only a published round can be closed."])
    round_.status = RoundStatus.CLOSED
    round_.save(update_fields=["status"])
    return round_


@transaction.atomic
def round_reopen(*, round_: Round, by: User) -> Round:
    """Undo a close: the round is published again, as it was (nobody is notified; their
    pairings never changed). Logged, since it reopens what the record had settled."""
    round_ = Round.objects.select_for_update().select_related("cohort").get(pk=round_.pk)
    if not may(by, Action.MANAGE, round_.cohort):
        raise ArrangementRefused(["Only the cohort's supervisors reopen a round."])
    if round_.status != RoundStatus.CLOSED:
        raise ArrangementRefused(["Only a closed round can be reopened."])
    round_.status = RoundStatus.PUBLISHED
    round_.save(update_fields=["status"])
    logger.info("round %s reopened by user %s", round_.pk, by.pk)
    return round_
