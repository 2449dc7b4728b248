"""Scoring a feedback response: pure code, no Django, so it is tested against hand-computed cases.

Promises (tests/roleplay/test_scoring.py checks each, the last three as properties):
- A reverse-scored item counts as `minimum + maximum - value`; reversing twice is the identity.
- Each subscale, and the total over every scored item, is the sum or the mean of its items.
- Missing and "not applicable" answers follow the template's rule: EXCLUDE scores what was
  answered; IMPUTE replaces up to `impute_max` unanswered items of a subscale by the mean of that
  subscale's answered items, and gives no score at all beyond that.
- A score nobody can compute is `value=None` ("not scorable"), never 0, and every score says how
  many answered items it rests on (`items_used`).
- Under the mean, a constant answer set scores to that constant, and (under IMPUTE) one more N/A
  within the allowance never changes a mean.

Arithmetic is exact (fractions) and rounded once, half up, to two decimals at the end.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

TOTAL = ""  # the subscale name of the total score
PLACES = Decimal("0.01")


class Aggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class Missing(StrEnum):
    EXCLUDE = "exclude"
    IMPUTE = "impute"


@dataclass(frozen=True)
class Rule:
    aggregate: Aggregate = Aggregate.MEAN
    missing: Missing = Missing.EXCLUDE
    impute_max: int = 0


@dataclass(frozen=True)
class ScoredItem:
    """An item that counts towards scores: its range, whether it is reversed, its subscale."""

    key: str
    minimum: Decimal
    maximum: Decimal
    reverse: bool = False
    subscale: str = ""


@dataclass(frozen=True)
class Score:
    subscale: str  # TOTAL for the total
    value: Decimal | None  # None: not scorable
    items_used: int
    imputed: int = 0

    @property
    def scorable(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Threshold:
    """A supervisor's own rule: "total ≤ 36 → discuss". `target` is TOTAL, a subscale name, or
    "item:<key>" for one item's (reversed where the item is) answer."""

    target: str
    op: str  # "<=", "<", ">=", ">"
    value: Decimal
    label: str

    def hit(self, value: Decimal | None) -> bool:
        return value is not None and OPS[self.op](value, self.value)


OPS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def reverse(value: Decimal, minimum: Decimal, maximum: Decimal) -> Decimal:
    return minimum + maximum - value


def _round(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PLACES, rounding=ROUND_HALF_UP
    )


def _value(item: ScoredItem, answer: Decimal) -> Fraction:
    return Fraction(reverse(answer, item.minimum, item.maximum) if item.reverse else answer)


@dataclass
class _Group:
    """One subscale's arithmetic: the answered values, how many items it has, how many imputed."""

    values: list[Fraction]
    size: int

    @property
    def unanswered(self) -> int:
        return self.size - len(self.values)

    def effective_sum(self, rule: Rule) -> Fraction | None:
        """The sum the rule gives this group, or None when it is not scorable."""
        if not self.values:
            return None
        if rule.missing == Missing.EXCLUDE:
            return sum(self.values, Fraction(0))
        if self.unanswered > rule.impute_max:
            return None
        # Each missing item stands in for the mean of the answered ones.
        return sum(self.values, Fraction(0)) * self.size / len(self.values)

    def effective_count(self, rule: Rule) -> int:
        return len(self.values) if rule.missing == Missing.EXCLUDE else self.size


def _score(name: str, groups: list[_Group], rule: Rule) -> Score:
    used = sum(len(g.values) for g in groups)
    imputed = sum(g.unanswered for g in groups) if rule.missing == Missing.IMPUTE else 0
    sums = [g.effective_sum(rule) for g in groups]
    if not groups or any(s is None for s in sums):
        return Score(name, None, used, 0)
    total = sum(sums, Fraction(0))
    if rule.aggregate == Aggregate.MEAN:
        total /= sum(g.effective_count(rule) for g in groups)
    return Score(name, _round(total), used, imputed)


def score_response(
    items: Iterable[ScoredItem], answers: Mapping[str, Decimal | None], rule: Rule
) -> list[Score]:
    """Scores per subscale (in the order subscales first appear) and then the total.

    `answers` maps an item's key to its value; None or an absent key is unanswered (N/A or left
    blank — the rule treats both alike)."""
    by_subscale: dict[str, _Group] = {}
    for item in items:
        group = by_subscale.setdefault(item.subscale, _Group(values=[], size=0))
        group.size += 1
        answer = answers.get(item.key)
        if answer is not None:
            group.values.append(_value(item, answer))
    scores = [_score(name, [group], rule) for name, group in by_subscale.items() if name != TOTAL]
    # The total imputes within each subscale (items without one form a group of their own).
    scores.append(_score(TOTAL, list(by_subscale.values()), rule))
    return scores


def thresholds_hit(
    thresholds: Iterable[Threshold],
    scores: Iterable[Score],
    items: Iterable[ScoredItem],
    answers: Mapping[str, Decimal | None],
) -> list[str]:
    """The labels of the rules this response meets; a not-scorable score meets none."""
    by_name = {s.subscale: s.value for s in scores}
    item_values = {
        item.key: _round(_value(item, answers[item.key]))
        for item in items
        if answers.get(item.key) is not None
    }
    hits = []
    for rule in thresholds:
        if rule.target.startswith("item:"):
            value = item_values.get(rule.target.removeprefix("item:"))
        else:
            value = by_name.get(rule.target)
        if rule.hit(value):
            hits.append(rule.label)
    return hits
