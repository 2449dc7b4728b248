"""roleplay.scoring against hand-computed cases, and its promises as properties."""

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from roleplay.scoring import (
    TOTAL,
    Aggregate,
    Missing,
    Rule,
    Score,
    ScoredItem,
    Threshold,
    reverse,
    score_response,
    thresholds_hit,
)


def likert(key, subscale="a", reverse=False):
    return ScoredItem(key=key, minimum=D(1), maximum=D(5), reverse=reverse, subscale=subscale)


def by_name(scores):
    return {s.subscale: s for s in scores}


def test_scoring_sum_with_a_reversed_item_by_hand():
    items = [likert("x"), likert("y"), likert("z", reverse=True)]
    # 4 + 2 + (1 + 5 - 2 = 4) = 10
    scores = score_response(items, {"x": D(4), "y": D(2), "z": D(2)}, Rule(Aggregate.SUM))
    assert scores == [Score("a", D("10.00"), 3), Score(TOTAL, D("10.00"), 3)]


def test_scoring_mean_per_subscale_and_total_by_hand():
    items = [likert("x", "a"), likert("y", "a"), likert("z", "b")]
    scores = by_name(score_response(items, {"x": D(4), "y": D(3), "z": D(1)}, Rule()))
    assert scores["a"] == Score("a", D("3.50"), 2)
    assert scores["b"] == Score("b", D("1.00"), 1)
    # (4 + 3 + 1) / 3 = 2.666… → 2.67
    assert scores[TOTAL] == Score(TOTAL, D("2.67"), 3)


def test_scoring_exclude_leaves_na_out_and_counts_what_it_rests_on():
    items = [likert("x"), likert("y"), likert("z")]
    scores = by_name(score_response(items, {"x": D(5), "y": None, "z": D(2)}, Rule()))
    assert scores["a"] == Score("a", D("3.50"), 2)


def test_scoring_impute_replaces_up_to_k_by_the_subscale_mean():
    items = [likert(k) for k in "wxyz"]
    rule = Rule(Aggregate.SUM, Missing.IMPUTE, impute_max=1)
    # answered 5, 4, 3 → mean 4 stands in for the N/A: 5 + 4 + 3 + 4 = 16
    scores = by_name(score_response(items, {"w": D(5), "x": D(4), "y": D(3), "z": None}, rule))
    assert scores["a"] == Score("a", D("16.00"), 3, imputed=1)


def test_scoring_beyond_k_is_not_scorable_never_zero():
    items = [likert(k) for k in "wxyz"]
    rule = Rule(Aggregate.SUM, Missing.IMPUTE, impute_max=1)
    scores = by_name(score_response(items, {"w": D(5), "x": D(4)}, rule))
    assert scores["a"].value is None
    assert scores["a"].scorable is False
    assert scores["a"].items_used == 2
    assert scores[TOTAL].value is None


def test_scoring_nothing_answered_is_not_scorable():
    scores = score_response([likert("x")], {"x": None}, Rule(Aggregate.SUM))
    assert [s.value for s in scores] == [None, None]
    assert [s.items_used for s in scores] == [0, 0]


def test_scoring_slider_keeps_one_decimal():
    items = [ScoredItem("s", D(0), D(10)), ScoredItem("t", D(0), D(10))]
    scores = score_response(items, {"s": D("7.5"), "t": D("8.2")}, Rule(Aggregate.SUM))
    assert scores[-1] == Score(TOTAL, D("15.70"), 2)


def test_thresholds_hit_on_total_and_item_but_not_on_unscorable():
    items = [likert("x", ""), likert("y", "", reverse=True)]
    answers = {"x": D(2), "y": D(4)}  # y reversed → 2
    scores = score_response(items, answers, Rule(Aggregate.SUM))
    rules = [
        Threshold(TOTAL, "<=", D(4), "total ≤ 4: discuss"),
        Threshold("item:y", "<=", D(2), "y low"),
        Threshold("missing", "<=", D(100), "never"),
        Threshold(TOTAL, ">", D(4), "high"),
    ]
    assert thresholds_hit(rules, scores, items, answers) == ["total ≤ 4: discuss", "y low"]


values = st.integers(min_value=1, max_value=5).map(D)


@settings(max_examples=200)
@given(value=values)
def test_property_reverse_twice_is_identity(value):
    assert reverse(reverse(value, D(1), D(5)), D(1), D(5)) == value


@settings(max_examples=200)
@given(
    constant=st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 10),
    size=st.integers(min_value=1, max_value=12),
    missing=st.sampled_from(list(Missing)),
)
def test_property_constant_answers_score_that_constant_under_mean(constant, size, missing):
    items = [ScoredItem(f"i{n}", D(0), D(10), subscale=f"s{n % 3}") for n in range(size)]
    scores = score_response(items, {i.key: constant for i in items}, Rule(missing=missing))
    assert {s.value for s in scores} == {constant.quantize(D("0.01"))}


@settings(max_examples=200)
@given(
    answers=st.lists(values, min_size=1, max_size=10),
    unanswered=st.integers(min_value=0, max_value=2),
    reversed_=st.lists(st.booleans(), min_size=13, max_size=13),
)
def test_property_one_more_na_within_k_never_changes_a_mean(answers, unanswered, reversed_):
    k = unanswered + 1
    size = len(answers) + unanswered + 1
    items = [likert(f"i{n}", reverse=reversed_[n]) for n in range(size)]
    rule = Rule(Aggregate.MEAN, Missing.IMPUTE, impute_max=k)
    given_answers = {f"i{n}": a for n, a in enumerate(answers)}
    with_last = {**given_answers, f"i{size - 1}": None}
    without = score_response(items[:-1], given_answers, rule)
    with_na = score_response(items, with_last, rule)
    assert [s.value for s in with_na] == [s.value for s in without]
