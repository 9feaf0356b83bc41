"""Token features for the BIO tagger: the token, its characters, its shape and its neighbours.

The features are purely lexical and positional (no rule outputs), so that "model only" is a
real second opinion beside the rules; the join of the two is a policy in fiscal_entities.
"""

from __future__ import annotations

from spacy.tokens import Doc

from nlp.extensions import doc_text

_HAN_NUMERALS = set("零〇一二两三四五六七八九十百千万亿")


def char_class(c: str) -> str:
    if c.isdigit():
        return "d"
    if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
        return "n" if c in _HAN_NUMERALS else "h"
    if c.isalpha():
        return "a"
    if c.isspace():
        return "s"
    return c


def _edge_class(c: str) -> str:
    return {"\t": "TAB", "\n": "NL", "^": "BOS", "$": "EOS"}.get(c) or char_class(c)


def shape(text: str) -> str:
    """Collapsed character classes: ``428.59`` → ``d.d``, ``万元`` → ``h``, ``2101501`` → ``d``."""
    out: list[str] = []
    for c in text[:12]:
        k = char_class(c)
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


def _token_view(doc: Doc) -> list[tuple[str, str, bool]]:
    return [(t.text, shape(t.text), t.is_space or t.text.isspace()) for t in doc]


def doc_features(doc: Doc) -> list[dict[str, float]]:
    """One feature dict per token of ``doc`` (whitespace tokens get a single bias feature)."""
    view = _token_view(doc)
    text = doc_text(doc)
    n = len(view)
    feats: list[dict[str, float]] = []
    # Which lines hold a tab (table rows), computed once: per-token searches would be quadratic
    # on a long line.
    tab_line_ends: list[tuple[int, bool]] = []
    start = 0
    for line in text.split("\n"):
        start += len(line) + 1
        tab_line_ends.append((start, "\t" in line))
    line_no = 0
    for i, (w, shp, is_ws) in enumerate(view):
        if is_ws:
            feats.append({"ws": 1.0})
            continue
        tok = doc[i]
        f: dict[str, float] = {
            "bias": 1.0,
            f"w={w}": 1.0,
            f"shape={shp}": 1.0,
            f"p1={w[:1]}": 1.0,
            f"s1={w[-1:]}": 1.0,
            f"p2={w[:2]}": 1.0,
            f"s2={w[-2:]}": 1.0,
            f"len={min(len(w), 8)}": 1.0,
        }
        for j in range(len(w) - 1):
            f[f"bi={w[j:j + 2]}"] = 1.0
        # Position in the line / table cell: what precedes and follows across whitespace.
        before = text[tok.idx - 1] if tok.idx > 0 else "^"
        after_pos = tok.idx + len(w)
        after = text[after_pos] if after_pos < len(text) else "$"
        f["before=" + _edge_class(before)] = 1.0
        f["after=" + _edge_class(after)] = 1.0
        while tab_line_ends[line_no][0] <= tok.idx:
            line_no += 1
        if tab_line_ends[line_no][1]:
            f["in_table_row"] = 1.0
        # Neighbours, skipping whitespace tokens.
        for direction, name in ((-1, "L"), (1, "R")):
            k, seen = i + direction, 0
            while 0 <= k < n and seen < 2:
                nw, nshp, nws = view[k]
                if not nws:
                    seen += 1
                    f[f"{name}{seen}w={nw}"] = 1.0
                    f[f"{name}{seen}shape={nshp}"] = 1.0
                    if seen == 1:
                        f[f"{name}1s1={nw[-1:]}" if name == "L" else f"{name}1p1={nw[:1]}"] = 1.0
                k += direction
        feats.append(f)
    return feats
