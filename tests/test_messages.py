"""The message catalog: every language has every message id, with the same parameters."""

from __future__ import annotations

import pytest

from metricqa.core.messages import Message, MessageCatalogError, catalog, languages, parameters, render


def test_languages_ship_as_package_data() -> None:
    assert {"en", "zh"} <= set(languages())


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != "en"])
def test_every_language_has_every_id_with_the_same_parameters(language: str) -> None:
    en, other = catalog("en"), catalog(language)
    assert sorted(set(en) - set(other)) == []
    assert sorted(set(other) - set(en)) == []
    differing = {
        k: (parameters(en[k]), parameters(other[k])) for k in en if parameters(en[k]) != parameters(other[k])
    }
    assert differing == {}


def test_render_by_language_and_fallback() -> None:
    assert render(Message("error.unknown_metric", {"metric": "churn"}), "zh") == "未知指标 `churn`。"
    assert render("error.unknown_metric", "en", metric="churn") == "Unknown metric `churn`."
    assert render("error.unknown_metric", "fr", metric="x") == "Unknown metric `x`."  # no French file yet


def test_unknown_id_and_missing_parameter_raise() -> None:
    with pytest.raises(MessageCatalogError, match="no message 'error.nope'"):
        render("error.nope", "en")
    with pytest.raises(MessageCatalogError, match="needs parameter 'metric'"):
        render("error.unknown_metric", "en")
