"""Facts from sentences: one fact per figure of the prose, with subject, measure, period, base
period, direction, basis and reason, plus the links between facts that the arithmetic checks
need (a percentage and the amounts it follows from, a total and its parts).

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

Figures inside a stated cause (``主要原因是:…``) are part of the cause, not facts. Figures in
tables (tab rows, and every table fiscal_layout read) belong to ``nlp.facts.tables``.

The pieces, each with its cue words as data in ``nlp/facts/cues/<piece>.json`` (read once by
``cues``) and its example lines generating ``tests/test_prose_pieces.py``:

- ``segments``: clause segmentation (leads, separators, hard and wrapped line breaks)
- ``regions``, ``reasons``: where the prose is not (tables) and stated causes
- ``frames``: figure frames (measure, direction, comparator, basis)
- ``periods``: periods and base periods
- ``subjects``, ``items``, ``codes``: subject attachment (a lead's item, counted nouns, items
  named elsewhere, 类/款/项 codes)
- ``parallel``: parallel constructions (各是 A、B, 分别为, bare figures sharing a unit)
- ``topics``, ``lists``, ``links``: list structure and the links the checks use
- ``claims``: figures that state nothing about the department
- ``figure``: one figure's lead, read by the pieces; ``reader``: the walk over a document

The entry points (``extract_prose``, ``prose_facts``, ``document_period``, ``ProseResult``) keep
their import path ``nlp.facts.prose``.
"""

from nlp.facts.prose.reader import Link, ProseResult, document_period, extract_prose, prose_facts

__all__ = ["Link", "ProseResult", "extract_prose", "prose_facts", "document_period"]
