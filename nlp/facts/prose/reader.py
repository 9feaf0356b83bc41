"""Facts from sentences: one fact per figure of the prose, with subject, measure, period,
base period, direction, basis and reason, plus the links between facts that the arithmetic
checks need (a percentage and the amounts it follows from, a total and its parts).

How a figure is read (see ``docs/facts.md`` for the worked examples):

* The *lead* of a figure is the text between the previous figure (or separator) and the
  figure itself, e.g. ``较 2020年增加`` before ``25.66万元``. The lead says what the figure is:
  a change trigger before it makes a ``change`` / ``change_pct``, ``占…的`` a ``share_pct``,
  ``完成…预算的`` an ``execution_pct``; ``预算数为`` / ``决算数为`` give the basis; a
  comparison (``较 2020年``, ``比上年``, ``同比``) gives the base period.
* What is left of the lead once those words are gone is the figure's own subject (a SUBJECT
  entity ending there, or the noun phrase itself). A figure without one inherits the subject
  of the statement, skipping a parenthetical ``其中…`` item (``收入总计 X,其中年初结转和结余
  0万元,较 2020年增加 Y`` → Y is about 收入总计).
* A count directly followed by a noun counts that noun (``1 个所属预算单位``); a lead that
  names an attribute (``预算金额``, ``年度预算安排``) is about the item named before it
  (``“X”项目``, ``项目名称:X``, a ``X项目情况说明`` heading).
* ``其中`` / ``包括`` / ``按…划分:`` / ``…的具体构成为:`` open lists; a list's items and its
  parent become ``total_sum`` links (and ``change_sum`` when every item states its change).

Figures inside a stated cause (``主要原因是:…``) are part of the cause, not facts.
Figures on table rows (lines with tab-separated cells) belong to ``nlp.facts.tables``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import astuple, dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional

from spacy.tokens import Doc, Span


from nlp.checks import Link
from nlp.contract import MONEY_UNIT, PERCENT_UNIT, Fact, Offsets
from nlp.facts.prose import frames, periods
from nlp.facts.prose.claims import is_claim
from nlp.facts.prose.codes import named_code
from nlp.facts.prose.items import ATTRIBUTES, SECTION_REACH, NamedItems
from nlp.facts.prose.links import link_figure
from nlp.facts.prose.lists import ListStructure, Scope
from nlp.facts.prose.parallel import (Parallel, SharedFrame, between_words, coordinated, names_before_coordination, one_lead,
                                      split_coordination)
from nlp.facts.prose.periods import (base_of, document_period, last_comparison, names_prior_amount, pre_comparison,
                                     stated_year, status_year)
from nlp.facts.prose.reasons import attach_reasons, reason_regions
from nlp.facts.prose.regions import inside, table_ranges
from nlp.facts.prose.topics import WHOLE, Topic
from nlp.facts.prose.subjects import (DURATION, FROM_TO, clean_subject, counted_noun, ground, restates,
                                      written_script)
from nlp.facts.prose.segments import HEADING, joined_break, local_lead, separators

__all__ = ["Link", "ProseResult", "extract_prose", "prose_facts", "document_period"]

VALUE_LABELS = ("AMOUNT", "PERCENT", "QUANTITY")
MAX_LEAD = 80  # characters of lead looked at: bounds every regex below on any input

@dataclass
class ProseResult:
    facts: list[Fact]
    links: list[Link]


@dataclass
class _Reading:
    """What the lead says about one figure."""

    measure: str
    direction: Optional[str]
    template: bool
    base: Optional[str]  # base period of a comparison
    basis: Optional[str]
    subject: Optional[str]  # its own subject, None when inherited
    subject_score: float
    comparator: Optional[str]
    share_total: Optional[str]  # the whole named after 占
    year: Optional[str]  # a year stated for the sentence
    coordinated: bool  # 各是 / 分别…
    chained: bool  # a bare figure after "、"
    own_period: Optional[str]  # 上年度…: the figure's own year
    attribute: Optional[str] = None  # the lead names an attribute (预算金额) of an item named elsewhere
    code: Optional[str] = None  # classification code the lead names (类/款/项 chain, "(2130207)")
    prior: bool = False  # "比 2022 年的 X": the amount of the base year, stated inline


def _is_zero(value: str) -> bool:
    try:
        return Decimal(value) == 0
    except InvalidOperation:
        return False


class _ProseReader:
    def __init__(self, doc: Doc):
        self.doc = doc
        self.text = doc.text
        self.period = document_period(doc)
        self.facts: list[Fact] = []
        self.links: list[Link] = []
        figures = sorted(e.start_char for e in doc.ents if e.label_ in VALUE_LABELS)
        self.reasons = reason_regions(self.text, doc._.norm, figures)
        self._reason_starts = [a for a, _, _ in self.reasons]
        self._by_label: dict[str, tuple[list[Span], list[int]]] = {}
        for label in ("CHANGE", "SUBJECT"):
            ents = [e for e in doc.ents if e.label_ == label]
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
        for ent in self.doc.ents:
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

            figure = self._read(ent, lead, lead_start, sent_period, text[max(gap_start, lead_floor): lead_start])
            if figure is None:
                continue
            (measure, direction, template, base, basis, subject, subj_score, comparator, share_total, year, is_coord,
             bare_chain, own_period, attribute, code, prior) = astuple(figure)
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

    # -- reading one figure ---------------------------------------------------------------
    def _read(self, ent: Span, lead: str, lead_start: int, sent_period: Optional[str], before: str = "") -> Optional[_Reading]:
        label = ent.label_
        change_ents = self._ents_between(lead_start, ent.start_char, "CHANGE")
        norm_lead = "".join(lead.split())
        bare_chain = norm_lead == "" and self.text[max(0, lead_start - 1): lead_start] == "、"

        # comparator (targets: "≥ 95%")
        comparator, lead = frames.comparator(lead)

        # base period from a comparison; the subject part is what comes before it
        m = last_comparison(lead)
        cmp_at = m.start() if m is not None else None
        base = base_of(m, sent_period) if m is not None else None
        direction, template, trig_at = frames.trigger(lead, change_ents, lead_start)
        # a comparison said in a clause of its own before the figure's: "收入总计与2021年度相比，减少 X"
        pre_subject = None
        if m is None and trig_at is not None and not template:
            pre = pre_comparison(before, sent_period)
            if pre is not None:
                base, pre_subject = pre
        # "比 2022 年的 10,083,978.73 元增加…": the amount of the base year, stated inline
        prior = trig_at is None and not template and label == "AMOUNT" and names_prior_amount(lead, m, base)
        is_coord = coordinated(lead, trig_at)

        measure, share_total = frames.measure_of(label, comparator, norm_lead, trig_at, template)
        if share_total is not None:
            share_total = clean_subject(share_total)[0]
        cut = frames.subject_end(lead, measure, cmp_at, trig_at)
        subject_part = lead[:cut]
        code = None
        coded = named_code(subject_part)
        if coded is not None:
            code, subject_part = coded
        if is_coord:
            subject_part = names_before_coordination(subject_part)
        year = stated_year(subject_part)
        own_period, subject_part = periods.own_period(subject_part, sent_period)
        subject, basis = clean_subject(subject_part)
        if subject is None and m is not None and trig_at is not None and trig_at > m.end():
            # "比去年收、支总计各减少 X": the item is said between the comparison and the trigger
            mid = between_words(lead[m.end(): trig_at])
            subject, _ = clean_subject(mid)
        if subject is None and pre_subject:
            subject, basis = clean_subject(pre_subject)
        if subject is None and self.text[lead_start - 1: lead_start] == ":" and (not norm_lead or basis is not None):
            # "年度预算安排:27万元": a label before the colon; "行政运行(2130201):年初预算为 X"
            label_start, _ = local_lead(self.text, max(0, lead_start - 1 - 60), lead_start - 1)
            label_text = self.text[label_start: lead_start - 1]
            coded = named_code(label_text)
            if coded is not None:
                code, label_text = coded
            subject, label_basis = clean_subject(label_text)
            basis = basis or label_basis
        if label in ("QUANTITY", "AMOUNT") and measure == "amount" and not DURATION.match(ent._.unit or ""):
            counted = counted_noun(self.text, ent.end_char)
            if counted is not None:
                subject, basis = counted, None
        if subject is not None and FROM_TO.search(norm_lead) and len(norm_lead) <= 8:
            subject = None  # "…从 20 个工作日压缩为 15 个": the same item's new level
        attribute = subject if subject in ATTRIBUTES else None
        if attribute:
            basis = basis or ATTRIBUTES[subject]
            subject = None
        subject, subj_score = ground(subject, self._ents_between(lead_start, lead_start + cut, "SUBJECT"))
        if basis is None:
            basis = frames.basis_said_before(subject_part, measure)
        if measure == "amount" and label == "PERCENT" and subject is None and not bare_chain:
            return None  # a bare percentage with nothing to say what it is
        if prior:
            own_period, measure = base, "amount"
        return _Reading(measure, direction, template, base, basis, subject, subj_score, comparator, share_total, year,
                        is_coord, bare_chain, own_period, attribute, code if subject is not None else None, prior)

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
