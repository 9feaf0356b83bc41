"""Subject attachment: the item a figure's lead names, cleaned of the reporting unit, the year,
qualifiers of time and scope, copulas and comments (``本部门 2021年度收入总计为`` → ``收入总计``);
the noun a count counts (``1 个所属预算单位``); a SUBJECT entity that grounds the phrase; and the
subject as the text was printed (traditional script). Cue words are data
(``nlp/facts/cues/subjects.json``)."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Optional

from spacy.tokens import Doc, Span

from nlp.facts.prose.cues import load, words
from nlp.facts.prose.frames import BASIS_WORDS, tail_basis
from nlp.facts.prose.periods import YEAR

_CUES = load("subjects")
_ORG = re.compile(rf"(?:{words('subjects', 'organisations')})")
_YEAR_NOT_THE_UNIT = re.compile(_CUES["year_not_the_unit"])
_LIST_MARK = re.compile(
    r"^(?:\(?[一二三四五六七八九十]{1,3}\)|[一二三四五六七八九十]{1,3}\s?、|\(?\d{1,2}\)|\d{1,2}\s?[、.]|[①-⑳])\s?"
)
_LEADING = re.compile(rf"^(?:{words('subjects', 'leading')})")
_TRAILING = re.compile(rf"(?:{words('subjects', 'trailing')})$")
_TRAILING_ATTRIBUTE = re.compile(rf"(?:{words('subjects', 'attribute_tails')})$")
_PAREN = re.compile(r"\([^()]{0,60}\)")
_SCOPE = re.compile(r"^[^的]{0,30}范围内?的")
_NO_ITEM = frozenset(_CUES["no_item"])
# A count followed at once by a noun counts that noun ("1 个所属预算单位", "998家两定机构",
# "44.26 万元设备款"): the noun runs to punctuation, a digit or a verb/adverb that ends it.
_FOLLOWING_RUN = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff“”\s]{1,30}")
_NOUN_STOP = re.compile(words("subjects", "noun_stops"))
DURATION = re.compile(rf"^(?:个)?(?:{words('subjects', 'durations')})")
FROM_TO = re.compile(rf"(?:{words('subjects', 'from_to')})(?:{words('subjects', 'from_to_ends')})$")


def clean_subject(phrase: str) -> tuple[Optional[str], Optional[str]]:
    """The noun phrase of a lead, normalised, and the basis its tail declares."""
    basis, s = tail_basis("".join(phrase.split()))
    # organisation and year prefixes: "本部门 2021年度收入总计" → "收入总计"; whatever precedes
    # the report year is the reporting unit ("湖南省常德市第一中医医院2022年度“三公”经费")
    cut_at = 0
    for y in YEAR.finditer(s):
        if y.start() > 0 and len(s) - y.end() >= 2 and not _YEAR_NOT_THE_UNIT.search(s[: y.start()]):
            cut_at = y.start()
    s = s[cut_at:]
    last = None
    for m in _ORG.finditer(s):
        if len(s) - m.end() >= 2:
            last = m
    if last is not None:
        s = s[last.end():]
    for _ in range(3):
        before = s
        s = _LIST_MARK.sub("", s)
        s = _LEADING.sub("", s)
        y = YEAR.match(s)
        if y:
            s = s[y.end():]
            # "2021年年末实有人数", "2021年末实有人数": the date, not the item ("年末结转和结余" is one)
            if s.startswith("年末") and len(s) > 4 and not s.startswith("年末结转"):
                s = s[2:]
            elif s[:1] in ("末", "底") and len(s) > 3:
                s = s[1:]
        s = s.lstrip(":,、 ")
        if s == before:
            break
    for _ in range(2):
        s = _TRAILING.sub("", s)
    stripped = _TRAILING_ATTRIBUTE.sub("", s)
    if len(stripped) >= 2:  # "预算整体支出自评涉及资金" → 预算整体支出
        s = stripped
    # contents lists and long parentheticals are comments ("其他支出(对附属单位补助支出、上缴上级支出)");
    # short ones are part of the name ("因公出国(境)", "资本性支出(基本建设)", "上年结转(结余)")
    s = _PAREN.sub(lambda p: p.group() if len(p.group()) <= 8 and "、" not in p.group() else "", s)
    # "纳入本套部门决算汇编范围的单位": the scope is no part of the item
    scoped = _SCOPE.sub("", s)
    if len(scoped) >= 2:
        s = scoped
    close = s.find(")")
    if close >= 0 and "(" not in s[:close]:  # the tail of a parenthesis opened before the lead
        s = s[close + 1:]
    s = s.lstrip("()[]{}<>×*·.-…]").strip("\"',:、 ")
    s = balance_quotes(s)
    if len(s) < 2 or not re.search(r"[\u4e00-\u9fff]", s):
        return None, basis
    if s in BASIS_WORDS:  # "2020 年度决算为 0": the basis of the item being discussed, not an item
        return None, basis or ("budget" if "预算" in s else "actual")
    if s in _NO_ITEM and basis == "actual":  # "支出决算为 X" (after 年初预算为…); "支出预算 X" is an item
        return None, basis
    return s, basis


def balance_quotes(s: str) -> str:
    """Quotes at the ends are stripped only when they close nothing: ``“三公”经费`` keeps its
    quotes, ``“收入总计`` and ``经费”`` lose the stray one."""
    while s and s[0] in "“”" and not (s[0] == "“" and "”" in s[1:]):
        s = s[1:]
    while s and s[-1] in "“”" and not (s[-1] == "”" and "“" in s[:-1]):
        s = s[:-1]
    return s


def counted_noun(text: str, end: int) -> Optional[str]:
    """The noun a count ending at ``end`` directly modifies (``1 个所属预算单位`` → 个所属预算单位),
    if any."""
    m = _FOLLOWING_RUN.match(text, end)
    if m is None:
        return None
    run = "".join(m.group().split())
    stop = _NOUN_STOP.search(run)
    noun = run[: stop.start()] if stop else run
    noun = noun.strip("“”")
    return noun if len(noun) >= 2 and not DURATION.search(noun) else None


def ground(subject: Optional[str], ents: list[Span]) -> tuple[Optional[str], float]:
    """The subject and its score once SUBJECT entities ending the phrase (last first) are seen: a
    phrase guessed from the lead scores 0.6; a lexicon entity ending it grounds it (0.85, 0.95 when
    it is all of it); a tagger entity also says where the item starts (年末其他人员 → 其他人员)."""
    score = 0.6
    for s in reversed(ents):
        name = "".join(s.text.split())
        if subject is not None and subject.endswith(name) and s._.source == "model":
            return name, max(0.5, min(0.95, s._.score or 0.5))
        if subject is not None and subject.endswith(name):
            # the phrase keeps its qualifiers ("财政拨款本年支出", "货物采购授予中小企业合同金额")
            return subject, 0.95 if subject == name else 0.85
    return subject, score


def restates(item: Optional[str], subject: str) -> bool:
    """Whether ``subject`` is the head of ``item`` said again (接待 after 国内公务接待)."""
    return bool(item) and len(subject) < len(item) and item.endswith(subject)


def written_script(doc: Doc) -> dict[int, str]:
    """For a text read through the traditional→simplified map (nlp.normalize), the reverse map of
    the characters it actually changed; empty for any other text (GUIDELINES §12: subjects as
    written)."""
    norm = doc._.norm
    if norm is None or norm.text == norm.original:
        return {}
    from nlp.normalize import traditional_chars, traditional_map

    ts = traditional_map()
    out: dict[int, str] = {}
    text, original, starts, ends = norm.text, norm.original, norm.starts, norm.ends
    # only an original character the map knows can have been changed by it: find those (one
    # regex scan), then the normalised characters made from each (starts is sorted)
    for m in traditional_chars().finditer(original):
        a = m.start()
        i = bisect_left(starts, a)
        while i < len(text) and starts[i] == a:
            c = text[i]
            if ends[i] - a == 1 and original[a] != c and ts.get(ord(original[a])) == c:
                out.setdefault(ord(c), original[a])
            i += 1
    return out
