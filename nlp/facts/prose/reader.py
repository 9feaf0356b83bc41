"""The walk over a document's figures: statements, sentences and paragraphs (``segments``), the
topic each figure is about (its own subject, a coordinated item, or the statement's inherited
one, skipping a parenthetical ``其中…`` item), the fact emitted for it, and the lists and links the
checks need. Each figure's lead is read by ``figure.read_figure``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Optional

from spacy.tokens import Doc, Span

from nlp.checks import Link
from nlp.contract import MONEY_UNIT, PERCENT_UNIT, Fact, Offsets
from nlp.extensions import doc_text
from nlp.facts.prose.claims import is_claim
from nlp.facts.prose.figure import read_figure
from nlp.facts.prose.items import SECTION_REACH, NamedItems
from nlp.facts.prose.links import link_figure
from nlp.facts.prose.lists import ListStructure, Scope
from nlp.facts.prose.parallel import Parallel, SharedFrame, one_lead, split_coordination
from nlp.facts.prose.periods import document_period, status_year
from nlp.facts.prose.reasons import attach_reasons, reason_regions
from nlp.facts.prose.regions import inside, table_ranges
from nlp.facts.prose.segments import HEADING, joined_break, local_lead, separators
from nlp.facts.prose.subjects import restates, written_script
from nlp.facts.prose.topics import WHOLE, Topic

__all__ = ["Link", "ProseResult", "extract_prose", "prose_facts", "document_period"]

VALUE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY")
MAX_LEAD = 80  # characters of lead looked at: bounds every regex of the pieces on any input


@dataclass
class ProseResult:
    facts: list[Fact]
    links: list[Link]


def _is_zero(value: str) -> bool:
    try:
        return Decimal(value) == 0
    except InvalidOperation:
        return False


class _ProseReader:
    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc_text(doc)
        self.period = document_period(doc)
        self.facts: list[Fact] = []
        self.links: list[Link] = []
        self.ents = tuple(doc.ents)  # spaCy rebuilds doc.ents from every token on each read
        figures = sorted(e.start_char for e in self.ents if e.label_ in VALUE_LABELS)
        self.reasons = reason_regions(self.text, doc._.norm, figures)
        self._reason_starts = [a for a, _, _ in self.reasons]
        self._by_label: dict[str, tuple[list[Span], list[int]]] = {}
        for label in ("CHANGE", "SUBJECT"):
            ents = [e for e in self.ents if e.label_ == label]
            self._by_label[label] = (ents, [e.start_char for e in ents])
        self.tables = table_ranges(self.text, doc._.tables)
        layout = doc.spans["layout"] if "layout" in doc.spans else []
        self.layout = sorted((s.start_char, s.end_char) for s in layout)
        self.lists = ListStructure(self.facts, self.links, self.text)  # open lists and every topic said
        self._as_written = written_script(doc)  # simplified → the traditional the text was printed in
        self._items = NamedItems(self.text)
        self._sent = 0  # sentence counter (lists over paragraphs take one item per sentence)

    # -- entity helpers ------------------------------------------------------------------
    def _excluded(self, start: int) -> bool:
        return inside(self.tables, start) or inside(self.layout, start)

    def _in_reason(self, start: int) -> bool:
        i = bisect_right(self._reason_starts, start) - 1
        return i >= 0 and start < self.reasons[i][1]

    def events(self) -> list[Span]:
        out = []
        for ent in self.ents:
            if self._excluded(ent.start_char) or self._in_reason(ent.start_char):
                continue
            if ent.label_ in VALUE_LABELS and ent._.value is not None:
                out.append(ent)
            elif ent.label_ == "CHANGE" and ent._.direction == "flat":
                out.append(ent)
        return out

    def _ents_between(self, a: int, b: int, label: str) -> list[Span]:
        ents, starts = self._by_label.get(label, ([], []))
        i = bisect_left(starts, a)
        out = []
        while i < len(ents) and ents[i].start_char < b:
            if ents[i].end_char <= b:
                out.append(ents[i])
            i += 1
        return out

    # -- the walk ------------------------------------------------------------------------
    def run(self) -> ProseResult:
        text = self.text
        events = self.events()
        prev_end = 0
        stmt = 0
        current: Optional[Topic] = None  # figures without a subject attach here
        current_stmt = -1
        own_end = 0  # end of the last figure that named its own subject
        main: Optional[Topic] = None  # the last non-parenthetical topic
        main_stmt = -1
        paren = False
        sent_period = self.period
        stmt_base: Optional[str] = None  # the comparison last stated in this statement
        scopes: list[Scope] = []
        para_total: Optional[Topic] = None  # a paragraph opening with a whole (…总额 X)
        para_items: list[Topic] = []  # and the top-level topics after it
        parallel = Parallel()  # the coordinated items of the statement ("各是 X、Y")

        for ent in events:
            gap_start = prev_end
            # strip reason regions out of the gap: their text is not a lead
            r = bisect_left(self._reason_starts, prev_end)
            while r < len(self.reasons) and self.reasons[r][0] < ent.start_char:
                if self.reasons[r][1] <= ent.start_char:
                    gap_start = max(gap_start, self.reasons[r][1])
                r += 1
            sep = separators(text, prev_end, ent.start_char)
            if sep in ("", ",") and gap_start > prev_end and joined_break(self.doc._.norm, text, gap_start):
                sep = "。"  # a cause ended at a wrapped line that starts a new item
            # paragraph/sentence/statement bookkeeping
            if sep in ("\n", "。"):
                self._sent += 1
                new_para = sep == "\n"
                if new_para:
                    self.lists.paragraph_sum(para_total, para_items)
                    para_total, para_items = None, []
                stmt += 1
                paren = False
                sent_period = self.period
                stmt_base = None
                parallel.reset()
                heading = any(HEADING.match(ln) for ln in text[prev_end: ent.start_char].split("\n")[1:])
                scopes = self.lists.close_scopes(scopes, "paragraph" if new_para else "sentence", heading)
            elif sep == ";":
                stmt += 1
                paren = False
                stmt_base = None
                parallel.reset()
                scopes = self.lists.close_scopes(scopes, "statement", False)
            lead_floor = max(gap_start, ent.start_char - MAX_LEAD)
            sent_period = status_year(text, lead_floor, ent.start_char) or sent_period
            lead_start, in_paren = local_lead(text, lead_floor, ent.start_char)
            if one_lead(text, lead_start, ent.start_char):
                # "收、支总计各是 X、Y": the coordinated names are one lead
                lead_start, in_paren = local_lead(text, lead_floor, ent.start_char, enumeration=False)
            lead = text[lead_start: ent.start_char]
            # list openers in the gap
            gap = text[max(gap_start, ent.start_char - MAX_LEAD): ent.start_char]
            scopes = self.lists.open_scopes(scopes, gap, main, current)
            prev_end = ent.end_char

            if ent.label_ == "CHANGE":  # "与上年持平": no figure, so no fact (a fact is one number)
                continue

            figure = read_figure(text, ent, lead, lead_start, sent_period, text[max(gap_start, lead_floor): lead_start],
                                 self._ents_between)
            if figure is None:
                continue
            (measure, direction, template, base, basis, subject, subj_score, comparator, share_total, year, is_coord,
             bare_chain, own_period, attribute, code, prior) = (
                getattr(figure, f.name) for f in fields(figure))  # all scalars: astuple's deep copy is no use
            if prior:  # "比 2022 年的 X 增加 Y": Y is the change against that year
                stmt_base = base
            if attribute:
                subject = self._items.item_at(max(own_end, lead_start - SECTION_REACH), lead_start)
                subj_score = 0.7 if subject else subj_score
                if subject is None and ent.label_ == "AMOUNT" and current is not None and current.unit not in (None, MONEY_UNIT):
                    # "对 6 个项目开展绩效自评，自评涉及资金 X": no item named; a count is not what it is about
                    subject = attribute
            if year:
                sent_period = year
            period = own_period or sent_period
            if measure in ("change", "change_pct"):
                # "增长 6.37%" after "较 2020年增加 25.66万元": the comparison of the statement
                base = base or stmt_base
                stmt_base = base

            # which topic the figure is about
            topic: Optional[Topic]
            restated = (subject is not None and current is not None and current_stmt == stmt
                        and restates(current.subject, subject))
            if restated:
                # "国内公务接待 13 批，累计接待 322 人次": the head noun again names the same item
                topic, subject = current, None
            elif bare_chain and parallel.waiting():
                topic = parallel.take()
                chain = parallel.frame
                if chain is not None and chain.label == ent.label_:
                    # "各下降 5%、4%": the second figure shares the first one's trigger
                    direction, template, measure, base = chain.direction, chain.template, chain.measure, chain.base
                    share_total = share_total or chain.share_total
            elif is_coord and subject and "、" in subject:
                topic = parallel.open([self._new_topic(s, subj_score) for s in split_coordination(subject)],
                                      SharedFrame(direction, template, measure, base, ent.label_, share_total))
            elif is_coord and parallel.topics and subject is None:
                topic = parallel.restart(SharedFrame(direction, template, measure, base, ent.label_, share_total))
            elif subject is not None:
                topic = self._new_topic(subject, subj_score)
                topic.code = code
                lead_norm = "".join(lead.split())
                is_paren = in_paren or (
                    lead_norm.startswith("其中") and not lead_norm.startswith("其中:") and main is not None and main_stmt == stmt
                )
                if is_paren:
                    paren = True
                else:
                    main, main_stmt = topic, stmt
                    paren = False
                    if not scopes:  # a top-level topic of the paragraph
                        if para_total is None and not para_items and WHOLE.search(subject):
                            para_total = topic
                        else:
                            para_items.append(topic)
                self.lists.add_item(scopes, topic, self._sent)
            else:
                # inside "其中 X 0万元," a comparison is about the whole (收入总计), unless X is
                # a full item of its own ("其中公务用车购置年初预算数为 0万元,决算数为 0万元")
                detailed = current is not None and any(b is not None for b in current.amounts)
                topic = main if (paren and main is not None and not detailed) else current
            if subject is not None:
                current, current_stmt = topic, stmt
                own_end = ent.end_char
            idx = self._emit(ent, topic, measure, direction, template, period, base, basis, comparator,
                             inherited=subject is None)
            if idx is None:
                continue
            if own_period is None:  # a figure of another year is no part of this year's arithmetic
                link_figure(self.facts, self.links, idx, topic, measure, basis, share_total, scopes)

        self.lists.close_scopes(scopes, "end", False)
        self.lists.paragraph_sum(para_total, para_items)
        attach_reasons(self.facts, self.text, self.reasons)
        return ProseResult(self.facts, self.links)

    def _new_topic(self, subject: str, score: float) -> Topic:
        return Topic(subject=subject, score=score)

    # -- facts ----------------------------------------------------------------------------
    def _emit(self, ent, topic, measure, direction, template, period, base, basis, comparator, inherited) -> Optional[int]:
        value = str(ent._.value)
        unit = MONEY_UNIT if ent.label_ == "AMOUNT" else PERCENT_UNIT if ent.label_ == "PERCENT" else (ent._.unit or "")
        flags: list[str] = []
        if template:
            flags.append("template")
            direction = None
        if measure in ("change", "change_pct"):
            if _is_zero(value):
                direction = "flat"  # the contract: a change of 0 is flat, placeholder or not
        else:
            direction = None
        if "approximate" in tuple(ent._.flags or ()):
            flags.append("approximate")
        subject = topic.subject if topic is not None else None
        if not is_claim(self.text, ent, unit, subject):
            return None
        if subject and self._as_written:
            subject = subject.translate(self._as_written)  # GUIDELINES §12: the subject as written
        score = topic.score if topic is not None else 0.3
        if inherited and topic is not None:
            score = min(score, 0.85)
        if measure not in ("change", "change_pct"):
            base = None
        try:
            fact = Fact(
                subject=subject,
                code=topic.code if topic is not None else None,
                measure=measure,
                value=value,
                unit=unit,
                direction=direction,
                comparator=comparator if measure == "target" else None,
                period=period,
                base_period=base,
                basis=basis if measure in ("amount", "change", "change_pct", "target") else None,
                evidence=Offsets(start=ent.start_char, end=ent.end_char),
                score=round(score, 3),
                flags=flags,
            )
        except ValueError:
            return None  # an entity value that is not an exact decimal: nothing to state
        self.facts.append(fact)
        return len(self.facts) - 1


def extract_prose(doc: Doc) -> ProseResult:
    """Facts from the prose of ``doc`` (entities from ``doc.ents``) and the links between them."""
    return _ProseReader(doc).run()


def prose_facts(doc: Doc) -> list[Fact]:
    return extract_prose(doc).facts
