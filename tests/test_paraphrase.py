"""The description reader (paraphrase.py) and the ratio reader (ratios.py): a metric said in the asker's
own words, or as one metric divided by another, on the demo catalog and on a second domain."""

from __future__ import annotations

from pathlib import Path

import pytest
from planner_table import demo_members, load_cases

from metricqa.assistant.semantic.plan import QueryPlan
from metricqa.assistant.understanding.context import PlanningContext
from metricqa.assistant.understanding.paraphrase import (
    base,
    cue_units,
    describe,
    load_related,
    metric_texts,
    same_stem,
)
from metricqa.assistant.understanding.planner import RulePlanner
from metricqa.catalog.loader import load_catalog
from metricqa.core.errors import AmbiguousQuestionError, UnsupportedQuestionError, UserFacingError

DEMO = Path(__file__).resolve().parent.parent / "catalog" / "demo"
RELATED = load_related()
AS_OF, _ = load_cases()


@pytest.fixture(scope="module")
def demo() -> PlanningContext:
    return PlanningContext(catalog=load_catalog(DEMO), members=demo_members(), as_of=AS_OF)


def texts(ctx: PlanningContext) -> list:  # type: ignore[type-arg]
    return metric_texts(ctx.catalog, RELATED)


def plan(question: str, ctx: PlanningContext) -> QueryPlan:
    return RulePlanner().plan(question, ctx)


def asked(question: str, ctx: PlanningContext) -> UserFacingError:
    with pytest.raises(UserFacingError) as info:
        RulePlanner().plan(question, ctx)
    return info.value


def test_base_forms_and_stems() -> None:
    assert base("customers", RELATED) == "customer"
    assert base("returned", RELATED) == "return"
    assert base("won", RELATED) == "win"
    assert same_stem("pay", "payment") and same_stem("convert", "conversion")
    assert not same_stem("rate", "revenue") and not same_stem("new", "net")


def test_cue_units() -> None:
    assert cue_units("what fraction of orders", RELATED) == {"ratio"}
    assert "currency" in cue_units("上个月收回来多少钱", RELATED)
    assert cue_units("orders last month", RELATED) == set()


def test_every_word_in_one_description(demo: PlanningContext) -> None:
    found = describe(
        ["money", "customers", "pay"], "how much money did customers pay us", texts(demo), RELATED
    )
    assert found.metric == "payment_amount"


def test_a_ratio_word_keeps_only_ratio_metrics(demo: PlanningContext) -> None:
    found = describe(["orders", "returned"], "what fraction of orders got returned", texts(demo), RELATED)
    assert found.metric == "return_rate"
    # the same words without a ratio word: a deprecated metric is never a description match either
    assert (
        describe(["orders", "returned"], "orders returned", texts(demo), RELATED).metric
        != "gross_sales_legacy"
    )


def test_unknown_words_explain_nothing(demo: PlanningContext) -> None:
    for words in (["employee", "attrition"], ["员工"], ["库存周转率"]):
        found = describe(words, " ".join(words), texts(demo), RELATED)
        assert found.metric is None and found.options == ()


def test_one_word_is_not_enough(demo: PlanningContext) -> None:
    # "customers" alone is in several descriptions and says too little: options, never an answer
    found = describe(["customers"], "how many customers do we have", texts(demo), RELATED)
    assert found.metric is None and "new_customers" in found.options


def test_a_word_with_two_meanings_is_a_question(demo: PlanningContext) -> None:
    found = describe(["流水"], "上个月流水多少", texts(demo), RELATED)
    assert found.metric is None and {"revenue", "payment_amount"} <= set(found.options)


def test_only_a_unit_said(demo: PlanningContext) -> None:
    found = describe([], "what's the rate last month", texts(demo), RELATED)
    units = {demo.catalog.metrics[m].unit for m in found.options}
    assert found.metric is None and units == {"ratio"} and len(found.options) >= 5


def test_planner_reads_descriptions_with_a_note(demo: PlanningContext) -> None:
    p = plan("what percent of deals did we win this year?", demo)
    assert p.metrics == ("win_rate",) and p.confidence < 0.85  # hybrid asks the LLM to confirm
    assert any(n.id == "note.phrase_read_as" for n in p.notes)
    p = plan("what share of leads turned into customers last quarter?", demo)
    assert p.metrics == ("lead_conversion_rate",) and p.intent.value != "share"


def test_unknown_metric_is_refused_not_replaced(demo: PlanningContext) -> None:
    err = asked("employee attrition rate this year", demo)
    assert isinstance(err, UnsupportedQuestionError) and "employee attrition" in err.message_for("en")
    err = asked("公司有多少员工", demo)
    assert isinstance(err, UnsupportedQuestionError) and "员工" in err.message_for("zh")


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("gross profit as a share of revenue last month", "gross_margin"),
        ("revenue per order last month", "avg_order_value"),
        ("payments received divided by revenue this year", "collection_rate"),
        ("今年毛利占销售额的比例", "gross_margin"),
        ("上个月平均每笔订单的销售额", "avg_order_value"),
    ],
)
def test_one_metric_divided_by_another(demo: PlanningContext, question: str, metric: str) -> None:
    p = plan(question, demo)
    assert p.metrics == (metric,) and p.intent.value != "share" and not p.dimensions


def test_a_ratio_the_catalog_does_not_define_is_asked(demo: PlanningContext) -> None:
    err = asked("payments as a share of orders last month", demo)
    assert isinstance(err, AmbiguousQuestionError) and "payments as a share of orders" in err.message_for(
        "en"
    )


def test_per_a_dimension_is_still_a_breakdown(demo: PlanningContext) -> None:
    p = plan("revenue per rep last month", demo)
    assert p.metrics == ("revenue",) and p.dimensions == ("rep",)


def test_second_domain(sub_ctx: PlanningContext) -> None:
    p = plan("how many subscriptions were active last month", sub_ctx)
    assert p.metrics == ("active_subscribers",)
    err = asked("MRR per active subscriber last month", sub_ctx)
    assert isinstance(err, AmbiguousQuestionError)
    err = asked("what share of subscribers upgraded last month", sub_ctx)
    assert "upgraded" in err.message_for("en")


def test_an_unsure_reading_is_asked_back_not_answered(demo: PlanningContext) -> None:
    # "销量" (units sold) spells most of a revenue synonym: a guess, too unsure to give as a number
    with pytest.raises(AmbiguousQuestionError) as info:
        RulePlanner(min_confidence=0.7).plan("上个月销量多少", demo)
    assert info.value.reason == "low_confidence"
    text = info.value.message_for("zh")
    assert "销量" in text and "销售额" in text  # says how it read the word, offers that reading
    assert (
        RulePlanner(min_confidence=0.0).plan("上个月销量多少", demo).confidence < 0.7
    )  # the setting decides


def test_a_typo_next_to_filler_words(demo: PlanningContext) -> None:
    # "新增" is a filler word on its own; with the misspelt rest it is the metric's name
    p = plan("本月新增客护数", demo)
    assert p.metrics == ("new_customers",) and p.confidence >= 0.7
