"""Reading one figure: its lead, taken apart by the pieces (frames, periods, codes, parallel
constructions, subjects, items named elsewhere), gives the figure's measure, direction, basis,
period, base period and its own subject, if it names one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from spacy.tokens import Span

from nlp.facts.prose import frames, periods
from nlp.facts.prose.codes import named_code
from nlp.facts.prose.items import ATTRIBUTES
from nlp.facts.prose.parallel import between_words, coordinated, names_before_coordination
from nlp.facts.prose.periods import base_of, last_comparison, names_prior_amount, pre_comparison, stated_year
from nlp.facts.prose.segments import local_lead
from nlp.facts.prose.subjects import DURATION, FROM_TO, clean_subject, counted_noun, ground


@dataclass
class Reading:
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


def read_figure(text: str, ent: Span, lead: str, lead_start: int, sent_period: Optional[str], before: str,
                ents_between: Callable[[int, int, str], list[Span]]) -> Optional[Reading]:
    """What the lead ``text[lead_start:ent.start_char]`` says about the figure ``ent``, in a
    sentence of year ``sent_period``; ``before`` is the text before the lead (a comparison in a
    clause of its own), ``ents_between(a, b, label)`` the entities of a label inside ``[a, b)``.
    None for a figure that says nothing (a bare percentage)."""
    label = ent.label_
    change_ents = ents_between(lead_start, ent.start_char, "CHANGE")
    norm_lead = "".join(lead.split())
    bare_chain = norm_lead == "" and text[max(0, lead_start - 1): lead_start] == "、"

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
    if subject is None and text[lead_start - 1: lead_start] == ":" and (not norm_lead or basis is not None):
        # "年度预算安排:27万元": a label before the colon; "行政运行(2130201):年初预算为 X"
        label_start, _ = local_lead(text, max(0, lead_start - 1 - 60), lead_start - 1)
        label_text = text[label_start: lead_start - 1]
        coded = named_code(label_text)
        if coded is not None:
            code, label_text = coded
        subject, label_basis = clean_subject(label_text)
        basis = basis or label_basis
    if label in ("QUANTITY", "AMOUNT") and measure == "amount" and not DURATION.match(ent._.unit or ""):
        counted = counted_noun(text, ent.end_char)
        if counted is not None:
            subject, basis = counted, None
    if subject is not None and FROM_TO.search(norm_lead) and len(norm_lead) <= 8:
        subject = None  # "…从 20 个工作日压缩为 15 个": the same item's new level
    attribute = subject if subject in ATTRIBUTES else None
    if attribute:
        basis = basis or ATTRIBUTES[subject]
        subject = None
    subject, subj_score = ground(subject, ents_between(lead_start, lead_start + cut, "SUBJECT"))
    if basis is None:
        basis = frames.basis_said_before(subject_part, measure)
    if measure == "amount" and label == "PERCENT" and subject is None and not bare_chain:
        return None  # a bare percentage with nothing to say what it is
    if prior:
        own_period, measure = base, "amount"
    return Reading(measure, direction, template, base, basis, subject, subj_score, comparator, share_total, year,
                   is_coord, bare_chain, own_period, attribute, code if subject is not None else None, prior)
