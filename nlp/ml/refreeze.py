"""Freeze the tagger of an existing model directory, without training
(``python -m nlp.ml.refreeze [MODEL_DIR]``, default ``models/fiscal-zh``).

The directory is verified against its manifest, its ``model.skops`` loaded against the trust
list and frozen (``nlp.ml.frozen``); the frozen files are written beside it, the model card
records the frozen form (``frozen`` in ``model_card.json``, a line in ``MODEL_CARD.md``) and
the manifest is rewritten with its meta unchanged. Frozen twice, the files are the same bytes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from nlp.ml.frozen import ARRAYS, FORMAT, META_FILE, VERSION, FrozenTagger

COMPONENT = "fiscal_tagger"
SKOPS = f"{COMPONENT}/model.skops"


def card_entry(frozen: FrozenTagger) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "source": SKOPS, "source_sha256": frozen.source_sha256,
            "features": len(frozen.features), "tags": len(frozen.tags_),
            "files": sorted(f"{COMPONENT}/{n}" for n in [META_FILE, *ARRAYS.values()])}


def card_markdown_line(entry: dict[str, Any]) -> str:
    return (f"- Inference: the tagger frozen to numpy arrays ({entry['format']} v{entry['version']}: "
            f"{entry['features']} features × {entry['tags']} tags, weights, intercept, BIO transition mask; "
            f"`{COMPONENT}/{META_FILE}`), from `{entry['source']}` sha256 `{entry['source_sha256']}`; "
            "the same probabilities as the scikit-learn pipeline, no scikit-learn at inference.")


def refreeze(model_dir: Path) -> dict[str, Any]:
    from nlp.model_store import load_skops, sha256_file, verify_manifest, write_manifest

    model_dir = Path(model_dir)
    manifest = verify_manifest(model_dir)
    skops_path = model_dir / SKOPS
    frozen = FrozenTagger.from_estimator(load_skops(skops_path), sha256_file(skops_path))
    frozen.save(model_dir / COMPONENT)
    entry = card_entry(frozen)
    card_path = model_dir / "model_card.json"
    if card_path.exists():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["frozen"] = entry
        card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md_path = model_dir / "MODEL_CARD.md"
    if md_path.exists():
        md = re.sub(r"^- Inference: .*\n", "", md_path.read_text(encoding="utf-8"), flags=re.M)
        md = re.sub(r"^(- Loading: .*\n)", lambda m: m.group(1) + card_markdown_line(entry) + "\n", md, count=1, flags=re.M)
        md_path.write_text(md, encoding="utf-8")
    write_manifest(model_dir, manifest.get("meta", {}))
    return entry


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else Path("models") / "fiscal-zh"
    print(json.dumps(refreeze(target), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
