"""What an answer covers, said before the number: the asker's scope and the members left out.

A scoped asker (a role with row filters: a regional manager, a sales rep) never reads a number that
could pass for the company's: the answer starts "Within your scope (Region: East): …". Members a
question excluded ("revenue excluding East") are named too: "Excluding East: …".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metricqa.assistant.semantic.plan import FilterOp, QueryPlan
from metricqa.catalog.models import Catalog
from metricqa.core.asker import Asker
from metricqa.core.messages import Listing, Message, render


def member_label(members: Mapping[str, Sequence[Any]], dimension: str, key: str, language: str) -> str:
    """A member's readable name in ``language`` (English when it has none), else its key."""
    for m in members.get(dimension, []):
        if m.key == key:
            return str(getattr(m, f"label_{language}", m.label_en)) or key
    return key


def scope_phrase(catalog: Catalog, asker: Asker, members: Mapping[str, Sequence[Any]], language: str) -> str:
    """ "Within your scope (Region: East): " for an asker whose role filters rows; "" otherwise."""
    role = catalog.roles.get(asker.role)
    if role is None or not role.row_filters:
        return ""
    items = []
    for rf in role.row_filters:
        value = asker.scope.get(rf.scope)
        if value is None:
            continue
        dim = catalog.dimensions.get(rf.dimension)
        name = dim.name.get(language) if dim else rf.dimension
        member = member_label(members, rf.dimension, value, language)
        items.append(render(Message("qualifier.scope_item", {"dimension": name, "member": member}), language))
    if not items:
        return ""
    return render(Message("qualifier.scope", {"scopes": Listing(items, "list")}), language)


def exclusion_phrase(plan: QueryPlan, members: Mapping[str, Sequence[Any]], language: str) -> str:
    """ "Excluding East, North: " for the members a question left out (NOT IN filters)."""
    labels = [
        member_label(members, f.dimension, key, language)
        for f in plan.filters
        if f.op is FilterOp.NOT_IN
        for key in f.values
    ]
    if not labels:
        return ""
    return render(Message("qualifier.excluding", {"members": Listing(labels, "list")}), language)
