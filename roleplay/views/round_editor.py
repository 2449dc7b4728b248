"""The one-page round editor, sized for big cohorts: its HTML and its work grow with the cohort,
not with the cohort's square.

Each trainee row has a pairing *number* (a number input offered the page's pairings through one
shared `<datalist>`) and a three-option role select; each pairing row has a scenario select with
only the round's set. Option lists that repeat on every row are rendered once per selected value
and reused, and every row's context is computed here in one pass, so the template never searches.

Pairings are numbered by their position on the page. An existing pairing's row carries its id in a
hidden `pairing_<number>` field, so a save maps each number back to the pairing the supervisor
saw; a number without one is a new pairing, the slot "new<number>"."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from roleplay.models import PairingRole, Scenario
from roleplay.services.pairing import Arrangement, SlotOptions

EMPTY_ROWS = 2  # blank pairings at the end, to split a pairing or form a new one
MAX_NUMBER = 9_999  # keeps a slot label short; far above any cohort's count of pairings
ROLE_ORDER = {PairingRole.CLIENT: 0, PairingRole.THERAPIST: 1, PairingRole.OBSERVER: 2}


# Numbers reach the template as strings: Django localises every int it renders, which costs
# more than the rest of a row.


@dataclass
class TraineeRow:
    pk: str
    name: str
    number: str  # "" when unpaired
    role_options: SafeString
    warnings: list[str]


@dataclass
class PairingRow:
    number: str
    pairing_id: str  # "" for a new pairing
    members: str
    scenario_options: SafeString
    client_chooses: bool
    locked: bool
    errors: list[str]
    warnings: list[str]


def _options(choices: list[tuple[str, str]], selected: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )


class _OptionsBySelection:
    """The options of a select, rendered once for each value that is selected somewhere."""

    def __init__(self, choices: list[tuple[str, str]]):
        self.choices = choices
        self.rendered: dict[str, SafeString] = {}

    def __getitem__(self, selected: str) -> SafeString:
        if selected not in self.rendered:
            self.rendered[selected] = _options(self.choices, selected)
        return self.rendered[selected]


def _new_number(slot: str) -> int:
    digits = slot.removeprefix("new")
    return int(digits) if digits.isdecimal() else 0


def editor_rows(
    *,
    existing: list[str],
    trainees: list[User],
    absent: set[int],
    arrangement: Arrangement,
    scenarios: Iterable[Scenario],
    slot_errors: Mapping[str, list[str]],
    slot_warnings: Mapping[str, list[str]],
    trainee_warnings: Mapping[int, list[str]],
) -> tuple[list[TraineeRow], list[PairingRow]]:
    """The editor's rows: one per present trainee and one per pairing (`existing`, the round's
    pairing ids in order, then any new ones in the arrangement, then EMPTY_ROWS blank ones)."""
    placement, options = arrangement.members, arrangement.options
    stored = set(existing)
    posted_new = sorted({slot for slot, _ in placement.values()} - stored, key=_new_number)
    slots = existing + posted_new
    number_of = {slot: n for n, slot in enumerate(slots, start=1)}
    names = {trainee.pk: trainee.name for trainee in trainees}
    members = defaultdict(list)
    for trainee_id, (slot, role) in placement.items():
        if trainee_id in names:
            members[slot].append((ROLE_ORDER.get(role, 3), names[trainee_id], role))
    role_options = _OptionsBySelection([(str(v), str(label)) for v, label in PairingRole.choices])
    scenario_options = _OptionsBySelection(
        [(str(s.pk), f"{s.title} (difficulty {s.difficulty})") for s in scenarios]
    )
    trainee_rows = []
    for trainee in trainees:
        if trainee.pk in absent:
            continue
        slot, role = placement.get(trainee.pk, ("", ""))
        number = number_of.get(slot)
        trainee_rows.append(
            TraineeRow(
                pk=str(trainee.pk),
                name=trainee.name,
                number=str(number) if number else "",
                role_options=role_options[role],
                warnings=trainee_warnings.get(trainee.pk, []),
            )
        )
    pairing_rows = []
    for slot in slots:
        option = options.get(slot) or SlotOptions()
        pairing_rows.append(
            PairingRow(
                number=str(number_of[slot]),
                pairing_id=slot if slot in stored else "",
                members=", ".join(
                    f"{name} ({PairingRole(role).label.lower()})"
                    for _, name, role in sorted(members[slot])
                ),
                scenario_options=scenario_options[
                    str(option.scenario.pk) if option.scenario else ""
                ],
                client_chooses=option.client_chooses,
                locked=option.locked,
                errors=slot_errors.get(slot, []),
                warnings=slot_warnings.get(slot, []),
            )
        )
    for n in range(len(slots) + 1, len(slots) + 1 + EMPTY_ROWS):
        pairing_rows.append(PairingRow(str(n), "", "", scenario_options[""], False, False, [], []))
    return trainee_rows, pairing_rows


def _number(raw: str) -> int | None:
    raw = raw.strip()
    if raw.isascii() and raw.isdecimal() and 0 < int(raw) <= MAX_NUMBER:
        return int(raw)
    return None


def arrangement_from_post(
    post: QueryDict,
    *,
    trainees: Iterable[User],
    existing: set[str],
    scenarios: Mapping[str, Scenario],
) -> Arrangement:
    """Read the editor's form: each trainee's pairing number and role, each pairing's scenario
    (only from `scenarios`, the round's choices), client-chooses and lock. `existing` are the
    round's pairing ids as strings; a hidden id naming any other pairing is ignored."""
    roles = set(PairingRole.values)
    arrangement = Arrangement()
    slot_of: dict[int, str] = {}
    for trainee in trainees:
        number = _number(post.get(f"slot_{trainee.pk}", ""))
        role = post.get(f"role_{trainee.pk}", "")
        if number is None or role not in roles:
            continue
        if number not in slot_of:
            pairing_id = post.get(f"pairing_{number}", "")
            slot_of[number] = pairing_id if pairing_id in existing else f"new{number}"
        arrangement.members[trainee.pk] = (slot_of[number], role)
    for number, slot in slot_of.items():
        arrangement.options[slot] = SlotOptions(
            scenario=scenarios.get(post.get(f"scenario_{number}", "")),
            client_chooses=bool(post.get(f"chooses_{number}")),
            locked=bool(post.get(f"locked_{number}")),
        )
    return arrangement
