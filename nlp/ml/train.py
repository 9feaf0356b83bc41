"""Training, leave-one-document-out evaluation, and the shipped model directory.

- ``fit_tagger``: a :class:`SequenceTagger` from gold documents (fixed seed).
- ``evaluate_loo``: for each fold (one held-out document), train on the others and score three
  systems on the held-out one: rules only, model only, and combined.
- ``train_model``: calibrate span scores on held-out predictions (isotonic), fit the final
  tagger on all gold documents, save the pipeline with a manifest and a model card.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from nlp import __version__
from nlp.components.tagger import Calibration
from nlp.evaluation import ENTITY_KEYS, FACT_KEYS, Scores, score_entities, score_facts
from nlp.extractor import Extractor
from nlp.ml.dataset import GoldDocument, bio_tags, gold_hash, load_folds, load_gold_documents, load_gold_snapshot, GOLD_DIR
from nlp.ml.features import doc_features
from nlp.ml.tagger import SequenceTagger
from nlp.pipeline import build_pipeline

SYSTEMS = ("rules", "model", "combined")
SEED = 0
MODEL_NAME = "fiscal-zh"

# How each system joins the span groups (see nlp/components/entities.py): the model alone
# proposes every label; combined keeps the rules' numeric entities (exact values) and takes
# SUBJECT spans, the open vocabulary, from the lexicon and the model under one of the
# POLICIES below. Which policy is chosen by cross-validation on the training documents only
# (``select_policy``): inside each evaluation fold, from that fold's four training documents.
SYSTEM_OVERRIDES: dict[str, dict[str, Any]] = {
    "rules": {},
    "model": {
        "components.fiscal_entities.priority": ["model"],
        "components.fiscal_entities.model_labels": list(ENTITY_KEYS),
        "components.fiscal_entities.min_model_score": 0.0,
    },
    "combined": {
        "components.fiscal_entities.priority": ["layout", "rules", "model"],
        "components.fiscal_entities.model_labels": ["SUBJECT"],
        "components.fiscal_entities.min_model_score": 0.5,
    },
}

POLICIES: dict[str, dict[str, list[str]]] = {
    "lexicon-first": {},  # a lexicon SUBJECT wins an overlap; the model fills the gaps
    "model-first": {"SUBJECT": ["layout", "model", "rules"]},  # the model's SUBJECT wins an overlap
    "model-only": {"SUBJECT": ["layout", "model"]},  # SUBJECT from table rows and the model; no lexicon spans
}
DEFAULT_POLICY = "lexicon-first"


def fit_tagger(docs: list[GoldDocument], seed: int = SEED) -> tuple[SequenceTagger, dict[str, int]]:
    nlp = build_pipeline()
    X, y = [], []
    stats = {"documents": len(docs), "tokens": 0, "spans": 0, "misaligned_spans": 0}
    for gd in docs:
        doc = nlp.make_doc(gd.text)
        tags, misaligned = bio_tags(doc, gd.spans)
        X.append(doc_features(doc))
        y.append(tags)
        stats["tokens"] += len(doc)
        stats["spans"] += len(gd.spans)
        stats["misaligned_spans"] += misaligned
    return SequenceTagger(random_state=seed).fit(X, y), stats


def make_extractor(system: str, tagger: Optional[SequenceTagger] = None, calibration: Optional[Calibration] = None,
                   policy: str = DEFAULT_POLICY) -> Extractor:
    overrides = dict(SYSTEM_OVERRIDES[system])
    if system == "combined":
        overrides["components.fiscal_entities.label_priority"] = POLICIES[policy]
    nlp = build_pipeline(overrides=overrides)
    if system != "rules":
        nlp.get_pipe("fiscal_tagger").set_model(tagger, calibration)
    return Extractor(nlp, name=f"{MODEL_NAME}-{system}")


class PolicyScores:
    """Entity and fact scores of each combined-system policy over held-out documents."""

    def __init__(self) -> None:
        self.entities = {p: Scores() for p in POLICIES}
        self.facts = {p: Scores() for p in POLICIES}

    def add(self, tagger: SequenceTagger, held: GoldDocument) -> dict[str, dict[str, Any]]:
        """Score every policy on ``held`` with ``tagger`` (trained without it); the results by policy."""
        results = {}
        for policy in POLICIES:
            results[policy] = result = make_extractor("combined", tagger, policy=policy).extract(held.text, held.doc_id)
            self.entities[policy].merge(score_entities(result["entities"], held.spans))
            self.facts[policy].merge(score_facts(result["facts"], held.facts))
        return results

    def best(self) -> tuple[str, dict[str, float]]:
        """The policy with the best mean of overall entity F1 and overall fact F1; ties go to the default."""
        scores = {p: round((self.entities[p].overall().f1 + self.facts[p].overall().f1) / 2, 4) for p in POLICIES}
        return max(POLICIES, key=lambda p: (scores[p], p == DEFAULT_POLICY)), scores


def select_policy(docs: list[GoldDocument], seed: int = SEED) -> tuple[str, dict[str, float]]:
    """The combined system's policy with the best leave-one-document-out score *on these documents*."""
    if len(docs) < 2:
        return DEFAULT_POLICY, {}
    scores = PolicyScores()
    for i, held in enumerate(docs):
        scores.add(fit_tagger(docs[:i] + docs[i + 1:], seed)[0], held)
    return scores.best()


def evaluate_loo(
    docs: Optional[list[GoldDocument]] = None,
    systems: tuple[str, ...] = SYSTEMS,
    seed: int = SEED,
    progress: Callable[[str], None] = lambda msg: None,
) -> dict[str, Any]:
    """Each fold: choose the combined policy on the fold's training documents (nested), train
    the tagger on them, score the systems on the held-out document. Every policy is also scored
    on each held-out document: pooled over the folds, that is the leave-one-document-out choice
    on all documents (``policy_selection``), which ``train_model`` ships."""
    docs = docs if docs is not None else load_gold_documents()
    by_id = {d.doc_id: d for d in docs}
    folds = load_folds(doc_ids=by_id)
    entity_scores = {s: Scores() for s in systems}
    fact_scores = {s: Scores() for s in systems}
    all_documents = PolicyScores()
    heldout_spans: list[tuple[float, bool]] = []  # (raw model score, correct) for calibration
    per_fold = []
    t0 = time.perf_counter()
    for fold in folds:
        train_docs = [by_id[d] for d in fold["train"] if d in by_id]
        test_docs = [by_id[d] for d in fold["test"] if d in by_id]
        if not test_docs:
            continue
        tagger = None
        fold_result: dict[str, Any] = {"name": fold["name"], "test": fold["test"]}
        policy = DEFAULT_POLICY
        if "combined" in systems:
            progress(f"fold {fold['name']}: choosing the combined policy on its {len(train_docs)} training documents")
            policy, fold_result["policy_scores"] = select_policy(train_docs, seed)
            fold_result["policy"] = policy
        if any(s != "rules" for s in systems):
            progress(f"fold {fold['name']}: training on {len(train_docs)} documents")
            tagger, _ = fit_tagger(train_docs, seed)
        for gd in test_docs:
            by_policy = all_documents.add(tagger, gd) if "combined" in systems else {}
            for system in systems:
                if system == "combined":
                    result = by_policy[policy]
                else:
                    result = make_extractor(system, tagger).extract(gd.text, gd.doc_id)
                es, fs = score_entities(result["entities"], gd.spans), score_facts(result["facts"], gd.facts)
                entity_scores[system].merge(es)
                fact_scores[system].merge(fs)
                fold_result[system] = {"entities": es.overall().as_dict(), "facts": fs.overall().as_dict()}
                if system == "model":
                    gold_keys = {(s.start, s.end, s.label) for s in gd.spans}
                    for e in result["entities"]:
                        heldout_spans.append((e["score"], (e["start"], e["end"], e["label"]) in gold_keys))
        per_fold.append(fold_result)
    report = {
        "systems": list(systems),
        "folds": per_fold,
        "entities": {s: entity_scores[s].as_dict(ENTITY_KEYS) for s in systems},
        "facts": {s: fact_scores[s].as_dict(FACT_KEYS) for s in systems},
        "heldout_model_spans": heldout_spans,
        "seconds": round(time.perf_counter() - t0, 1),
        "gold_sha256": gold_hash(),
    }
    if "combined" in systems:
        report["policy_selection"] = dict(zip(("policy", "scores"), all_documents.best()))
    return report


def fit_calibration(pairs: list[tuple[float, bool]]) -> Calibration:
    from sklearn.isotonic import IsotonicRegression

    if len(pairs) < 10:
        return Calibration([], [])
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([1.0 if p[1] else 0.0 for p in pairs])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    return Calibration([round(float(v), 6) for v in iso.X_thresholds_], [round(float(v), 6) for v in iso.y_thresholds_])


def report_markdown(report: dict[str, Any]) -> str:
    systems = report["systems"]
    lines = ["### Entities (exact span and label), leave-one-document-out", "",
             "| label | " + " | ".join(f"{s} P / R / F1" for s in systems) + " | support |",
             "|---|" + "---|" * len(systems) + "---|"]
    for key in (*ENTITY_KEYS, "overall"):
        row = [report["entities"][s].get(key) for s in systems]
        if not any(row):
            continue
        support = next(r["support"] for r in row if r)
        cells = [f"{r['precision']:.3f} / {r['recall']:.3f} / **{r['f1']:.3f}**" if r else "–" for r in row]
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {support} |")
    lines += ["", "### Facts (measure, value, unit, period, direction, column, subject), leave-one-document-out", "",
              "| measure | " + " | ".join(f"{s} P / R / F1" for s in systems) + " | support |",
              "|---|" + "---|" * len(systems) + "---|"]
    for key in (*FACT_KEYS, "overall"):
        row = [report["facts"][s].get(key) for s in systems]
        if not any(row):
            continue
        support = next(r["support"] for r in row if r)
        cells = [f"{r['precision']:.3f} / {r['recall']:.3f} / **{r['f1']:.3f}**" if r else "–" for r in row]
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {support} |")
    chosen = [f"{f['name']}: {f['policy']}" for f in report.get("folds", []) if f.get("policy")]
    if chosen:
        lines += ["", "Combined policy per fold, chosen by leave-one-document-out on that fold's training "
                  "documents only: " + ", ".join(chosen) + "."]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    slim = {k: v for k, v in report.items() if k != "heldout_model_spans"}
    jpath, mpath = out_dir / "evaluation.json", out_dir / "evaluation.md"
    jpath.write_text(json.dumps(slim, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    mpath.write_text(report_markdown(report), encoding="utf-8")
    return jpath, mpath


def library_versions() -> dict[str, str]:
    import jieba
    import sklearn
    import skops
    import spacy

    return {"python": platform.python_version(), "spacy": spacy.__version__, "scikit-learn": sklearn.__version__,
            "jieba": jieba.__version__, "skops": skops.__version__, "fiscal-extract": __version__}


def train_model(out_dir: Path, gold_dir: Path = GOLD_DIR, seed: int = SEED,
                progress: Callable[[str], None] = lambda msg: None) -> dict[str, Any]:
    """Evaluate leave-one-document-out, calibrate on the held-out spans, fit on all, save."""
    from nlp.model_store import write_manifest

    t0 = time.perf_counter()
    docs, training_sha = load_gold_snapshot(gold_dir)  # one read under the gold lock: the hash is of these docs
    if not docs:
        raise ValueError(f"no gold documents in {gold_dir}")
    report = evaluate_loo(docs, seed=seed, progress=progress)
    calibration = fit_calibration(report["heldout_model_spans"])
    # the leave-one-document-out folds above already scored every policy on every document
    policy, policy_scores = report["policy_selection"]["policy"], report["policy_selection"]["scores"]
    progress(f"final model: policy {policy} ({policy_scores}); training on all {len(docs)} documents")
    tagger, stats = fit_tagger(docs, seed)
    extractor = make_extractor("combined", tagger, calibration, policy=policy)
    out_dir = Path(out_dir)
    if out_dir.exists():
        for p in sorted(out_dir.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
    extractor.nlp.meta.update({"name": MODEL_NAME, "version": __version__, "lang": "zh"})
    out_dir.parent.mkdir(parents=True, exist_ok=True)  # a fresh project has no models/ yet (spaCy makes one level)
    extractor.nlp.to_disk(out_dir, exclude=["vocab"])
    # spaCy's meta.json carries no timestamps we rely on; drop volatile keys so training is reproducible.
    meta_path = out_dir / "meta.json"
    meta_json = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_json.pop("spacy_git_version", None)
    meta_path.write_text(json.dumps(meta_json, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    card = {
        "name": MODEL_NAME,
        "version": __version__,
        "training_data_sha256": training_sha,
        "documents": [d.doc_id for d in docs],
        "folds": load_folds(doc_ids=[d.doc_id for d in docs]),
        "seed": seed,
        "training_stats": stats,
        "evaluation": {k: report[k] for k in ("entities", "facts")},
        "calibration_points": len(calibration.xs),
        "policy": policy,
        "policy_scores": policy_scores,
        "versions": library_versions(),
    }
    frozen = extractor.nlp.get_pipe("fiscal_tagger").frozen
    if frozen is not None:
        from nlp.ml.frozen import FrozenTagger
        from nlp.ml.refreeze import card_entry

        card["frozen"] = card_entry(FrozenTagger.load(out_dir / "fiscal_tagger"))
    (out_dir / "model_card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(model_card_markdown(card, report), encoding="utf-8")
    write_manifest(out_dir, {"name": MODEL_NAME, "version": __version__, "training_data_sha256": card["training_data_sha256"]})
    card["train_seconds"] = round(time.perf_counter() - t0, 1)
    card["report"] = report
    return card


def model_card_markdown(card: dict[str, Any], report: dict[str, Any]) -> str:
    from nlp.ml.refreeze import card_markdown_line

    v = card["versions"]
    return (
        f"# Model card: {card['name']} {card['version']}\n\n"
        "A token BIO tagger (DictVectorizer → LogisticRegression, Viterbi under BIO constraints) joined with the rules: "
        "rules and table layout give every numeric entity with its exact value; the tagger adds SUBJECT spans "
        "(the open vocabulary) where it is confident (calibrated score ≥ 0.5).\n\n"
        f"- Training data: `annotations/gold/` sha256 `{card['training_data_sha256']}` ({len(card['documents'])} documents)\n"
        f"- Trained on: {', '.join(f'`{d}`' for d in card['documents'])}\n"
        f"- Seed: {card['seed']}; folds: leave-one-document-out (`annotations/folds.json`)\n"
        f"- Tokens: {card['training_stats']['tokens']}, gold spans: {card['training_stats']['spans']}, "
        f"spans not on token edges: {card['training_stats']['misaligned_spans']}\n"
        f"- Score calibration: isotonic, fitted on held-out-fold predictions ({card['calibration_points']} points)\n"
        f"- Versions: spaCy {v['spacy']}, scikit-learn {v['scikit-learn']}, jieba {v['jieba']}, skops {v['skops']}, Python {v['python']}\n"
        "- Loading: `manifest.json` (sha256 of every file) is verified before anything is read; the skops file is "
        "loaded only if it names no type outside `nlp.model_store.TRUSTED_TYPES`.\n"
        + (card_markdown_line(card["frozen"]) + "\n" if "frozen" in card else "") + "\n"
        "## Evaluation (leave-one-document-out)\n\n" + report_markdown(report)
    )
