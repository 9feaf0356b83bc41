"""Byte-identity of extraction results between a git ref and the working tree
(``python -m bench identical [--ref REF]``; on demand, not a test).

Every source text (``annotations/sources/*.txt``) and every development-corpus document
(``annotations/dev/sources/*.txt``, both splits) is extracted by the shipped model of each side:
the ref checked out in a temporary ``git worktree`` (removed afterwards), and this working
tree. Each side runs in its own process with its own code and ``models/``; both read the same
input files (the working tree's). The serialized results (``json.dumps`` of the whole result
dict: entities, facts, checks, unchecked, document, model) are compared byte for byte.

A ref that names a commit is extracted once and kept in ``bench/out/identical/`` (keyed by the
commit and the inputs' sha256); ``--no-cache`` extracts it again. Exit 0: identical; 1: not.
For a differing document the differing keys are listed, and for the dev split and the sources
the first differing items; for the blind split only the key names (no record is read there).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ON_DEMAND = True
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "out" / "identical"
KEYS = ("entities", "facts", "checks", "unchecked", "document", "model")

# Run inside each side's checkout: only the public API, so that any past ref can run it.
DUMPER = r"""
import json, sys
from nlp import Extractor
ex = Extractor.load()
paths = json.loads(open(sys.argv[1], encoding="utf-8").read())
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for p in paths:
        text = open(p, encoding="utf-8").read()
        r = ex.extract(text, doc_id=None)
        out.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
"""


def inputs(root: Path = ROOT) -> list[tuple[str, Path]]:
    """(name, path) of every text compared: the sources, then the dev corpus."""
    out = [(f"sources/{p.stem}", p) for p in sorted((root / "annotations" / "sources").glob("*.txt"))]
    out += [(f"dev/{p.stem}", p) for p in sorted((root / "annotations" / "dev" / "sources").glob("*.txt"))]
    return out


def blind_ids(root: Path = ROOT) -> set[str]:
    path = root / "annotations" / "dev" / "split.json"
    if not path.exists():
        return set()
    docs = json.loads(path.read_text(encoding="utf-8")).get("documents", {})
    return {f"dev/{k}" for k, v in docs.items() if v == "blind"}


def inputs_digest(items: list[tuple[str, Path]]) -> str:
    h = hashlib.sha256()
    for name, p in items:
        h.update(name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def extract_side(checkout: Path, items: list[tuple[str, Path]], python: str) -> list[str]:
    """One serialized result per input, extracted by the code and model of ``checkout``."""
    with tempfile.TemporaryDirectory(prefix="identical-") as tmp:
        listing, results = Path(tmp) / "inputs.json", Path(tmp) / "results.jsonl"
        listing.write_text(json.dumps([str(p.resolve()) for _, p in items]), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("FISCAL_MODEL_DIR", "PYTHONPATH")}
        env.update(PYTHONPATH=str(checkout), FISCAL_PROJECT=str(checkout))
        subprocess.run([python, "-c", DUMPER, str(listing), str(results)], cwd=checkout, env=env, check=True)
        lines = results.read_text(encoding="utf-8").splitlines()
    if len(lines) != len(items):
        raise RuntimeError(f"{checkout}: {len(lines)} results for {len(items)} inputs")
    return lines


def commit_of(ref: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                          check=True, capture_output=True, text=True).stdout.strip()


def extract_ref(ref: str, items: list[tuple[str, Path]], python: str, use_cache: bool = True) -> tuple[str, list[str]]:
    commit = commit_of(ref)
    cached = CACHE / f"{commit}-{inputs_digest(items)}.jsonl"
    if use_cache and cached.exists():
        return commit, cached.read_text(encoding="utf-8").splitlines()
    tmp = Path(tempfile.mkdtemp(prefix="identical-ref-"))
    tree = tmp / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), commit], check=True)
    try:
        lines = extract_side(tree, items, python)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return commit, lines


def first_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"item {i}: ref {json.dumps(x, ensure_ascii=False)[:300]}\n      tree {json.dumps(y, ensure_ascii=False)[:300]}"
    return f"lengths {len(a)} vs {len(b)}"


def compare(items: list[tuple[str, Path]], ref_lines: list[str], tree_lines: list[str], blind: set[str]) -> list[str]:
    """A report line per differing document (empty: byte-identical)."""
    report = []
    for (name, _), a, b in zip(items, ref_lines, tree_lines):
        if a == b:
            continue
        ra, rb = json.loads(a), json.loads(b)
        keys = [k for k in sorted(set(ra) | set(rb)) if ra.get(k) != rb.get(k)] or ["(serialisation)"]
        line = f"{name}: differs in {', '.join(keys)}"
        if name not in blind:
            for k in keys:
                va, vb = ra.get(k), rb.get(k)
                if isinstance(va, list) and isinstance(vb, list):
                    line += f"\n    {k} ({len(va)} vs {len(vb)}): {first_difference(va, vb)}"
        report.append(line)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="main", help="the git ref to compare against (default: main)")
    ap.add_argument("--no-cache", action="store_true", help="extract the ref again even if its results are kept")
    ap.add_argument("--python", default=sys.executable, help="the interpreter both sides run with")
    args = ap.parse_args(argv)
    items = inputs()
    commit, ref_lines = extract_ref(args.ref, items, args.python, use_cache=not args.no_cache)
    tree_lines = extract_side(ROOT, items, args.python)
    report = compare(items, ref_lines, tree_lines, blind_ids())
    n_bytes = sum(len(x.encode()) for x in tree_lines)
    if report:
        print("\n".join(report))
        print(f"identical: {len(report)} of {len(items)} documents DIFFER from {args.ref} ({commit[:10]})")
        return 1
    print(f"identical: all {len(items)} documents ({n_bytes:,} bytes of results) byte-identical to {args.ref} ({commit[:10]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
