"""Train the domain spacy-pkuseg model ``models/pkuseg-fiscal/`` offline from the corpus.

There is no gold word segmentation of fiscal text here, so this is a *distillation*: the
training lines are the sentences and table rows of the annotated sources, segmented by our
jieba tokenizer (fiscal user dictionary, numbers/units/percentages/codes/change triggers
kept whole as protected atoms). The model learns that segmentation, including where the
atoms begin and end; it cannot be better than its teacher on these texts, and the held-out
F1 that ``spacy_pkuseg.train`` reports measures agreement with jieba, not correctness.

Deterministic: Python's ``random`` (pkuseg's ADF shuffles the training set with it) is
seeded, the feature table is built in corpus order, and ``weights.npz`` is rewritten with
fixed zip timestamps, so two runs give byte-identical files (``--check-determinism``).

Run: ``python -m nlp.segmentation.train_pkuseg [--iter N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import random
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nlp.segmentation.corpus import REPO_ROOT, normalized_sources, sentences
from nlp.tokenizer import USER_DICT, iter_pieces, make_segmenter

OUT = REPO_ROOT / "models" / "pkuseg-fiscal"
SEED = 0
HELD_OUT_EVERY = 10  # every 10th line goes to the test file
FEATURE_TRIM = 1  # drop features seen once: keeps the shipped model small
MODEL_FILES = ("features.msgpack", "weights.npz")


def training_lines() -> list[str]:
    """Corpus lines as space-separated words (the teacher's segmentation)."""
    segment = make_segmenter("jieba", str(USER_DICT))
    lines = []
    for doc_id, text in sorted(normalized_sources().items()):
        for sent in sentences(text):
            words = [sent[a:b] for a, b in iter_pieces(sent, segment)]
            if words:
                lines.append(" ".join(words))
    return lines


def _rewrite_npz(path: Path) -> None:
    """np.savez stamps the zip members with the current time; rewrite them with a fixed one."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    path.write_bytes(buf.getvalue())


def train(out: Path = OUT, train_iter: int = 10, verbose: bool = False) -> dict[str, str]:
    """Train into ``out``; return {file: sha256} of the model files."""
    import spacy_pkuseg
    from spacy_pkuseg.config import config

    lines = training_lines()
    test = [l for i, l in enumerate(lines) if i % HELD_OUT_EVERY == 0]
    train_lines = [l for i, l in enumerate(lines) if i % HELD_OUT_EVERY != 0]
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file, test_file, save = Path(tmp) / "train.txt", Path(tmp) / "test.txt", Path(tmp) / "model"
        train_file.write_text("\n".join(train_lines) + "\n", encoding="utf-8")
        test_file.write_text("\n".join(test) + "\n", encoding="utf-8")
        config.featureTrim = FEATURE_TRIM
        random.seed(SEED)
        np.random.seed(SEED)
        log = io.StringIO()
        with contextlib.redirect_stdout(sys.stdout if verbose else log):
            spacy_pkuseg.train(str(train_file), str(test_file), str(save), train_iter=train_iter)
        _rewrite_npz(save / "weights.npz")
        for name in MODEL_FILES:
            shutil.copyfile(save / name, out / name)
        score = [l for l in log.getvalue().splitlines() if l.startswith("iter")]
    if score and not verbose:
        print(score[-1])
    print(f"{len(train_lines)} training lines, {len(test)} held-out lines (teacher: jieba + fiscal_dict.txt)")
    hashes = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in MODEL_FILES}
    meta = {
        "what": "spacy-pkuseg word segmentation model for fiscal text, distilled from jieba + the fiscal user dictionary",
        "built_by": "python -m nlp.segmentation.train_pkuseg",
        "train_iter": train_iter,
        "seed": SEED,
        "feature_trim": FEATURE_TRIM,
        "training_lines": len(train_lines),
        "held_out_lines": len(test),
        "held_out_f1_vs_teacher": score[-1].rsplit("=", 1)[-1] if score else None,
        "user_dict_sha256": hashlib.sha256(USER_DICT.read_bytes()).hexdigest(),
        "files_sha256": hashes,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return hashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train models/pkuseg-fiscal from the corpus (offline).")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--iter", type=int, default=10, help="training iterations (default 10)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--check-determinism", action="store_true", help="train a second time in a temp dir and compare hashes")
    args = ap.parse_args(argv)
    hashes = train(args.out, args.iter, args.verbose)
    for name, h in hashes.items():
        print(f"{name}  {(args.out / name).stat().st_size:>9} bytes  sha256 {h}")
    if args.check_determinism:
        with tempfile.TemporaryDirectory() as tmp:
            again = train(Path(tmp), args.iter, args.verbose)
        same = again == hashes
        print("determinism:", "identical files on retraining" if same else f"DIFFERENT: {again}")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
