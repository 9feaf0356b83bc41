"""Links between a figure and the figures it follows from, for the arithmetic checks: a change
percentage and its change and amount, an execution rate and its budget and actual, a share and
its part and whole. A link whose relation the text does not make sure carries why
(``uncertain``) and is reported unchecked."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from nlp.checks import Link
from nlp.contract import Fact
from nlp.facts.prose.lists import Scope
from nlp.facts.prose.topics import RECENT, WHOLE, Topic, pick_amount


def link_figure(facts: list[Fact], links: list[Link], idx: int, topic: Optional[Topic], measure: str, basis,
                share_total: Optional[str], scopes: list[Scope]) -> None:
    """Record fact ``idx`` on its topic, and link it to the figures it follows from: a change
    percentage to the change and the amount, an execution rate to the budget and the actual, a
    share to its part and whole (the whole named after 占, else the open list's parent)."""
    fact = facts[idx]
    if topic is None:
        return
    if measure == "amount":
        topic.amounts[basis] = idx
        topic.unit = topic.unit or fact.unit
        topic.change = None
    elif measure == "change" and "template" not in fact.flags:
        topic.change = idx
    elif measure == "change_pct" and "template" not in fact.flags:
        amount = pick_amount(topic)
        if amount is None and topic.subject:
            # "收入预算总额 2197.35万元。收入预算总额比上年减少 118.69万元，下降 7.62%": the item again
            amount = latest_amount_of(facts, topic.subject, fact.period)
        if topic.change is not None and amount is not None:
            links.append(Link("change_pct", {"pct": idx, "change": topic.change, "amount": amount}))
    elif measure == "execution_pct":
        budget = topic.amounts.get("budget")
        actual = topic.amounts.get("actual", topic.amounts.get(None))
        if budget is not None and actual is not None:
            links.append(Link("execution_pct", {"pct": idx, "budget": budget, "actual": actual}))
    elif measure == "share_pct":
        uncertain = None
        part = topic.amounts.get(None, topic.amounts.get("actual", topic.amounts.get("budget")))
        total = None
        if share_total:
            total = latest_amount_of(facts, share_total)
            if total is None and WHOLE.search(share_total) and len(share_total) > 4:
                # "占项目支出总额的 100%" where only 项目支出 is stated: the whole is that item; a
                # share short of 100% may be of a wider 总额 (other funds): not checked for sure
                total = latest_amount_of(facts, share_total[:-2])
                if total is not None and Decimal(fact.value) != 100:
                    uncertain = "the whole (X总额) is not stated; X may be of another scope"
        elif scopes and scopes[-1].parent is not None and scopes[-1].parent is not topic:
            total = pick_amount(scopes[-1].parent)
        if part is not None and total is not None and part != total:
            links.append(Link("share_pct", {"pct": idx, "part": part, "total": total}, uncertain))


def latest_amount_of(facts: list[Fact], subject: str, period: Optional[str] = None) -> Optional[int]:
    """The last amount (within RECENT facts) stated for ``subject``, of ``period`` if given."""
    for i in range(len(facts) - 1, max(-1, len(facts) - 1 - RECENT), -1):
        f = facts[i]
        if f.measure == "amount" and f.subject == subject and (period is None or f.period == period):
            return i
    return None
