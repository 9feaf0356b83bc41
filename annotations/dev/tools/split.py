"""Split the development corpus by department into ``dev`` (about two thirds) and ``blind``.

Run once, when the corpus is first committed: ``python annotations/dev/tools/split.py``.
The order is a hash of each department's name, so the split depends on nothing anyone saw
of the system's output. Prose and table documents are split separately, so both parts hold
both. A department that has several documents keeps them all in one part.
Re-running it on the same corpus gives the same file; a document added later is left out of
both parts until it is placed by hand (and the README says so).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def split(metas: list[dict]) -> dict[str, str]:
    departments: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for m in metas:
        stratum = "table" if m["doc_id"].startswith("t") else "prose"
        departments[stratum][m["department"]].append(m["doc_id"])
    out = {}
    for stratum, by_dept in sorted(departments.items()):
        names = sorted(by_dept, key=lambda d: hashlib.sha256(d.encode("utf-8")).hexdigest())
        for i, name in enumerate(names):
            for doc_id in by_dept[name]:
                out[doc_id] = "blind" if i % 3 == 2 else "dev"
    return dict(sorted(out.items()))


def main() -> None:
    metas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "meta").glob("*.json"))]
    documents = split(metas)
    body = {"rule": "by department; within prose and within tables, departments ordered by sha256 of their name, "
                    "every third one blind", "documents": documents}
    (ROOT / "split.json").write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    parts = defaultdict(int)
    for part in documents.values():
        parts[part] += 1
    print(f"split.json: {dict(parts)}")


if __name__ == "__main__":
    main()
