"""List structure: ``其中`` / ``包括`` / ``按…划分:`` / ``…的具体构成为:`` open lists of a parent topic;
the topics said while a list is open are its items; when a boundary closes a list, its items and
parent become ``total_sum`` links (and ``change_sum`` when every item states its change). A list
the text does not say is complete (or whose whole's composition is not known,
``nlp/facts/cues/compositions.json``) gives unchecked sums (``PARTIAL_LIST``). Cue words are data
(``nlp/facts/cues/lists.json``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from nlp.checks import PARTIAL_LIST, Link, check_facts, fact_tolerance
from nlp.contract import Fact
from nlp.facts.prose.cues import load, words
from nlp.facts.prose.topics import RECENT, Topic

_CUES = load("lists")
MAX_SCOPES = 6  # open lists kept at once
_COMPLETE_OPENER = re.compile(rf"(?:{words('lists', 'complete_openers')}):?")
_DIVISION = re.compile(_CUES["division"])
_COMPOSITION = re.compile(_CUES["composition"])
_TOTAL = re.compile(rf"(?:{words('lists', 'total_words')})$")
_BALANCE = tuple(_CUES["balance_words"])


@dataclass
class Scope:
    """An open list (``其中`` / ``包括`` / ``按…划分`` / ``具体构成``) collecting its items."""

    kind: str  # "paren" | "statement" | "sentence" | "paragraph" | "multi" (over paragraphs)
    parent: Optional[Topic]
    items: list[Topic] = field(default_factory=list)
    last_item_sentence: int = -1
    complete: bool = False  # the text says the items are all of the parent (包括, 按…划分, 具体构成)


class ListStructure:
    """The lists of one document: the topics said so far, and the sum links of closed lists
    appended to ``links`` (``facts`` and ``links`` are the reader's own lists, shared)."""

    def __init__(self, facts: list[Fact], links: list[Link], text: str):
        self.facts = facts
        self.links = links
        self.text = text
        self.topics: list[Topic] = []  # every topic introduced, in order

    def open_scopes(self, scopes, gap: str, main, current) -> list[Scope]:
        scopes = self._open(list(scopes), gap, main, current)
        if len(scopes) > MAX_SCOPES:  # lists nest a few levels at most; drop (and check) the oldest
            self._sum_closing(scopes[:-MAX_SCOPES])
            scopes = scopes[-MAX_SCOPES:]
        return scopes

    def _open(self, scopes, gap: str, main, current) -> list[Scope]:
        g = "".join(gap.split())
        # "X,其中:" at a line end: the list runs over the following paragraphs
        if ")" in g:
            self._sum_closing([s for s in scopes if s.kind == "paren"])
            scopes = [s for s in scopes if s.kind != "paren"]
        if g.endswith("其中:") or re.search(r"其中:\n", gap.replace(" ", "")):
            scopes.append(Scope("multi", main, complete=True))
        elif "其中" in g:
            # the parent is the last main topic said before "其中"; "(其中 X)" ends with its parenthesis
            at = g.rfind("其中")
            kind = "paren" if g.rfind("(", 0, at) > g.rfind(")", 0, at) else "sentence"
            scopes.append(Scope(kind, main))
        if _COMPLETE_OPENER.search(g) and not g.endswith("其中:"):
            parent = current if current is not None else main
            scopes.append(Scope("statement", parent, complete=True))
        dm = _DIVISION.search(g)
        if dm:
            parent = self._latest_total_topic()
            scopes.append(Scope("paragraph", parent, complete=True))
        cm = _COMPOSITION.search(g)
        if cm:
            whole = cm.group(1)
            scopes.append(Scope("paragraph", self._topic_starting(whole), complete=True))
        return scopes

    def _latest_total_topic(self) -> Optional[Topic]:
        for t in reversed(self.topics[-RECENT:]):
            if t.subject and _TOTAL.search(t.subject) and t.amounts:
                return t
        return None

    def _topic_starting(self, whole: str) -> Optional[Topic]:
        for t in reversed(self.topics[-RECENT:]):
            if t.subject and t.subject.startswith(whole) and t.amounts:
                return t
        return None

    def add_item(self, scopes: list[Scope], topic: Topic, sentence: int) -> None:
        """A topic said while lists are open is an item of the innermost one (a list over
        paragraphs takes one per sentence ``sentence``: later topics are details)."""
        self.topics.append(topic)
        if not scopes:
            return
        scope = scopes[-1]
        if scope.parent is topic:
            return
        if scope.kind == "multi":
            # one item per sentence: "(一)X…。(二)Y…" — later topics of the sentence are details
            if scope.last_item_sentence == sentence:
                return
            scope.last_item_sentence = sentence
        scope.items.append(topic)

    def close_scopes(self, scopes: list[Scope], boundary: str, heading: bool) -> list[Scope]:
        """Close (and check) the lists a boundary ends; a heading ends lists over paragraphs."""
        keep, closing = [], []
        strength = {"statement": 1, "sentence": 2, "paragraph": 3, "end": 5}[boundary]
        for s in scopes:
            need = {"statement": 1, "paren": 1, "sentence": 2, "paragraph": 3, "multi": 4}[s.kind]
            if strength >= need or (s.kind == "multi" and heading):
                closing.append(s)
            else:
                keep.append(s)
        self._sum_closing(closing)
        return keep

    def _sum_closing(self, closing: list[Scope]) -> None:
        """Sum links of the lists closed together. A list opened on the last item of an enclosing
        list (``A a，其中：A1 a1；A2 a2；B b``) does not say where it ends: each reading (B under A,
        or B back in the enclosing list) is tried, and the one whose sums agree is taken; when none
        agrees the one with the fewest failures is, and when two readings tie the sums are unchecked."""
        done: set[int] = set()
        for k, outer in enumerate(closing):
            inner = next((s for s in closing[k + 1:] if outer.items and s.parent is outer.items[-1]
                          and len(s.items) >= 2), None)
            if inner is None or id(outer) in done:
                continue
            readings = []
            for cut in range(len(inner.items), 0, -1):  # the longest inner list first
                links = (self._sum_links(Scope(outer.kind, outer.parent, outer.items + inner.items[cut:], complete=outer.complete))
                         + self._sum_links(Scope(inner.kind, inner.parent, inner.items[:cut], complete=inner.complete)))
                failed = len(check_facts(self.facts, [Link(l.kind, l.roles) for l in links], self.text))
                readings.append(((failed - len(links), failed), links))  # most agreeing sums, then fewest failures
            best = min(key for key, _ in readings)
            distinct: dict[str, list[Link]] = {}
            for key, links in readings:  # cuts between figures of other units give the same sums
                if key == best:
                    distinct.setdefault(repr([(l.kind, l.roles) for l in links]), links)
            chosen = list(distinct.values())
            if len(chosen) == 1 or best[1] == 0:
                self.links.extend(chosen[0])
            else:
                for link in chosen[0]:
                    self.links.append(Link(link.kind, link.roles, "list structure ambiguous (where a nested list ends)"))
            done |= {id(outer), id(inner)}
        for s in closing:
            if id(s) not in done:
                self.links.extend(self._sum_links(s))

    def _complete(self, scope: Scope, items: list[Topic]) -> bool:
        """Whether the text says the list is all of its whole: a cue (包括, 按…划分, 具体构成, a
        ``其中：`` heading an enumeration over paragraphs) or the whole's known composition
        (``nlp/facts/cues/compositions.json``) named item by item."""
        if scope.complete:
            return True
        return known_composition(scope.parent.subject if scope.parent else None, [t.subject for t in items])

    def _sum_links(self, scope: Scope) -> list[Link]:
        out: list[Link] = []
        parent = scope.parent
        items = [t for t in scope.items if t is not parent and t.amounts]
        if parent is None or not parent.amounts or len(items) < 2:
            return out
        if parent.subject and any(w in parent.subject for w in _BALANCE):
            return out  # "收支总额 X,其中:本年收入 X…;本年支出 X…": two sides of one balance, not parts
        unit = parent.unit
        items = [t for t in items if t.unit == unit]
        if len(items) < 2:
            return out
        uncertain = None if self._complete(scope, items) else PARTIAL_LIST
        agree = False
        for basis, total in parent.amounts.items():
            parts = []
            for t in items:
                p = t.amounts.get(basis, t.amounts.get(None))
                if p is None:
                    break
                parts.append(p)
            else:
                link = Link("total_sum", {"total": total, "parts": parts}, uncertain)
                agree = agree or not check_facts(self.facts, [Link(link.kind, link.roles)], self.text)
                out.append(link)
        if parent.change is not None and all(t.change is not None for t in items):
            # the changes of a partial list need not add up, unless its amounts do (then it is all of it)
            out.append(Link("change_sum", {"total": parent.change, "parts": [t.change for t in items]},
                            None if uncertain is None or agree else PARTIAL_LIST))
        return out

    def paragraph_sum(self, total: Optional[Topic], items: list[Topic]) -> None:
        """A paragraph that opens with a whole and goes on with items whose amounts add up to it
        (001: 收入预算总额 959.51 = 本年收入合计 881.44 + 上年结转 78.06) states a decomposition
        without a list cue; then the items' changes must add up to the whole's change too."""
        if total is None or total.change is None or None not in total.amounts:
            return
        items = [t for t in items if None in t.amounts and t.unit == total.unit]
        if len(items) < 2 or any(t.change is None for t in items):
            return
        whole = total.amounts[None]
        parts = [t.amounts[None] for t in items]
        value = lambda i: Decimal(self.facts[i].value)  # noqa: E731
        slack = sum((fact_tolerance(self.facts[i], self.text) for i in [whole, *parts]), Decimal(0))
        if abs(value(whole) - sum((value(i) for i in parts), Decimal(0))) <= slack:
            self.links.append(Link("change_sum", {"total": total.change, "parts": [t.change for t in items]}))


def _compositions() -> dict[str, list[list[str]]]:
    return load("compositions")["compositions"]


def _bare(name: Optional[str]) -> str:
    return re.sub(r"[“”\"'\s]", "", name or "")


def known_composition(whole: Optional[str], items: list[Optional[str]]) -> bool:
    """Whether ``items`` name every part of a whole whose parts are fixed by definition
    (“三公”经费 = 因公出国(境)费 + 公务用车购置及运行维护费 + 公务接待费)."""
    w = _bare(whole)
    names = [_bare(i) for i in items]
    for key, alternatives in _compositions().items():
        if _bare(key) not in w:
            continue
        for parts in alternatives:
            if len(parts) == len(names) and all(any(_bare(p) in n for n in names) for p in parts):
                return True
    return False
