"""The one-page round editor, sized for big cohorts: its HTML and its work grow with the cohort,
not with the cohort's square.

The editor is one table with a row per pairing: its members, each with a pairing *number* and a
role, then the pairing's scenario *number* (its place in the numbered list of the round's set shown
above the table), client-chooses and lock; trainees in no pairing share a last row. The role and
scenario fields are inputs offered their choices by one shared `<datalist>` each, which
static/js/round_editor.js turns into selects; without JavaScript they post as typed, a role read by
its value or its label in any case, and what cannot be read is refused, not dropped. A select on
every row repeated its options: the whole set on each pairing was 40% of a 200-trainee page, the
role selects a quarter (185 KB then, 89 KB now). Every row's context is computed here in one pass,
so nothing searches; round_editor_html writes the rows.

Pairings are numbered by their position on the page. The hidden `pairings` field lists the ids of
the existing pairings in that order, so a save maps each number back to the pairing the supervisor
saw; a number past its end is a new pairing, the slot "new<number>". Likewise the hidden
`scenario_key` lists the scenario ids in the order they were numbered, so a set edited in between
cannot shift a number onto another scenario."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.http import QueryDict

from accounts.models import User
from roleplay.models import PairingRole, Scenario
from roleplay.services.pairing import Arrangement, SlotOptions

EMPTY_ROWS = 2  # blank pairings at the end, to split a pairing or form a new one
MAX_NUMBER = 9_999  # keeps a slot label short; far above any cohort's count of pairings
ROLES_HINT = "Give client, therapist or observer."
ROLE_ORDER = {PairingRole.CLIENT: 0, PairingRole.THERAPIST: 1, PairingRole.OBSERVER: 2}


# Numbers reach the template as strings: Django localises every int it renders, which costs
# more than the rest of a row.


@dataclass
class ScenarioChoice:
    number: str
    label: str


@dataclass
class Member:
    """A present trainee, in their pairing's row or the row of those not in a pairing."""

    pk: str
    name: str
    number: str  # "" when unpaired
    role: str  # the role's label: what the role field shows and posts
    warnings: list[str]


@dataclass
class PairingRow:
    number: str  # "" for the row of trainees not in a pairing
    members: list[Member]
    scenario: str  # its number in the scenario key, "" for none
    client_chooses: bool
    locked: bool
    errors: list[str]
    warnings: list[str]


def scenario_key(scenarios: Iterable[Scenario]) -> list[ScenarioChoice]:
    """The numbered list of scenario choices the pairing rows refer to."""
    return [
        ScenarioChoice(str(n), f"{s.title} (difficulty {s.difficulty})")
        for n, s in enumerate(scenarios, start=1)
    ]


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
) -> list[PairingRow]:
    """The editor's rows: one per pairing (`existing`, the round's pairing ids in order, then any
    new ones in the arrangement), each with its present members, client first; then one of the
    present trainees in no pairing, if any; then EMPTY_ROWS blank pairings."""
    placement, options = arrangement.members, arrangement.options
    stored = set(existing)
    posted_new = sorted({slot for slot, _ in placement.values()} - stored, key=_new_number)
    slots = existing + posted_new
    number_of = {slot: str(n) for n, slot in enumerate(slots, start=1)}
    role_labels = {value: str(label) for value, label in PairingRole.choices}
    members = defaultdict(list)
    unpaired = []
    for trainee in trainees:
        if trainee.pk in absent:
            continue
        slot, role = placement.get(trainee.pk, ("", ""))
        member = Member(
            pk=str(trainee.pk),
            name=trainee.name,
            number=number_of.get(slot, ""),
            role=role_labels.get(role, role_labels[PairingRole.CLIENT]),
            warnings=trainee_warnings.get(trainee.pk, []),
        )
        if member.number:
            members[slot].append((ROLE_ORDER.get(role, 3), member))
        else:
            unpaired.append(member)
    scenario_number = {s.pk: str(n) for n, s in enumerate(scenarios, start=1)}
    rows = []
    for slot in slots:
        option = options.get(slot) or SlotOptions()
        rows.append(
            PairingRow(
                number=number_of[slot],
                members=[member for _, member in sorted(members[slot], key=lambda m: m[0])],
                scenario=scenario_number.get(option.scenario.pk, "") if option.scenario else "",
                client_chooses=option.client_chooses,
                locked=option.locked,
                errors=slot_errors.get(slot, []),
                warnings=slot_warnings.get(slot, []),
            )
        )
    if unpaired:
        rows.append(PairingRow("", unpaired, "", False, False, [], []))
    for n in range(len(slots) + 1, len(slots) + 1 + EMPTY_ROWS):
        rows.append(PairingRow(str(n), [], "", False, False, [], []))
    return rows


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
) -> tuple[Arrangement, list[str]]:
    """Read the editor's form: each trainee's pairing number and role, each pairing's scenario
    (a number in the posted `scenario_key`, only from `scenarios`, the round's choices by id),
    client-chooses and lock. `existing` are the round's pairing ids as strings; a posted id
    naming any other pairing is ignored (that number makes a new pairing).

    Also returns what could not be read: without JavaScript the role and scenario are typed, and
    a typo must be refused, not saved as "unpaired" or "no scenario"."""
    roles = {
        str(text).lower(): value for value, label in PairingRole.choices for text in (value, label)
    }
    key = post.get("scenario_key", "").split(",")
    shown = post.get("pairings", "").split(",")
    arrangement = Arrangement()
    slot_of: dict[int, str] = {}
    problems = []
    for trainee in trainees:
        number = _number(post.get(f"slot_{trainee.pk}", ""))
        typed = post.get(f"role_{trainee.pk}", "").strip()
        role = roles.get(typed.lower())
        if number is not None and role is None:
            problems.append(f"{trainee.name}: “{typed}” is not a role. {ROLES_HINT}")
        if number is None or role is None:
            continue
        if number not in slot_of:
            pairing_id = shown[number - 1] if number <= len(shown) else ""
            slot_of[number] = pairing_id if pairing_id in existing else f"new{number}"
        arrangement.members[trainee.pk] = (slot_of[number], role)
    for number, slot in slot_of.items():
        typed = post.get(f"scenario_{number}", "").strip()
        place = _number(typed)
        if typed and (place is None or place > len(key)):
            problems.append(f"Pairing {number}: there is no scenario {typed} in the list.")
        scenario_id = key[place - 1] if place is not None and place <= len(key) else ""
        arrangement.options[slot] = SlotOptions(
            scenario=scenarios.get(scenario_id),
            client_chooses=bool(post.get(f"chooses_{number}")),
            locked=bool(post.get(f"locked_{number}")),
        )
    return arrangement, problems
