"""Safe, reproducible model directories.

- A model directory carries ``manifest.json``: the sha256 of every file. It is checked before
  any file in the directory is read; a missing, extra-listed or changed file stops the load.
- scikit-learn objects are stored with skops (no pickle), loaded with an explicit allowlist
  of types: a file naming any other type is refused before anything is constructed.
- skops names its members by ``id()`` and stamps zip times; ``canonical_skops`` renumbers
  the ids by first appearance and fixes the times, so the same model gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

MANIFEST = "manifest.json"

# Every type our tagger's skops file may contain. Anything else is refused.
TRUSTED_TYPES = [
    "nlp.ml.tagger.SequenceTagger",
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float64",
    "numpy.int64",
    "numpy.int32",
    "numpy.ndarray",
    "numpy.dtype",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
]


class ModelIntegrityError(RuntimeError):
    """A model file is missing, changed, outside the directory, or holds an untrusted type."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(model_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    files = {
        p.relative_to(model_dir).as_posix(): sha256_file(p)
        for p in sorted(model_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"meta": meta, "files": files}
    (model_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def verify_manifest(model_dir: Path) -> dict[str, Any]:
    model_dir = Path(model_dir)
    manifest_path = model_dir / MANIFEST
    if not manifest_path.exists():
        raise ModelIntegrityError(f"{model_dir}: no {MANIFEST}; refusing to load an unverified model")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelIntegrityError(f"{manifest_path}: unreadable manifest ({e})") from None
    root = model_dir.resolve()
    listed = manifest.get("files", {})
    for rel, digest in listed.items():
        p = (model_dir / rel).resolve()
        if root not in p.parents:
            raise ModelIntegrityError(f"{rel}: path escapes the model directory")
        if not p.is_file():
            raise ModelIntegrityError(f"{model_dir / rel}: listed in the manifest but missing")
        if sha256_file(p) != digest:
            raise ModelIntegrityError(f"{model_dir / rel}: sha256 does not match the manifest; the file was changed")
    for p in model_dir.rglob("*"):
        if p.is_file() and p.name != MANIFEST and p.relative_to(model_dir).as_posix() not in listed:
            raise ModelIntegrityError(f"{p}: not listed in the manifest")
    return manifest


def find_manifest_dir(path: Path) -> Path:
    """The model directory (holding the manifest) that contains ``path``."""
    path = Path(path).resolve()
    for d in (path, *path.parents):
        if (d / MANIFEST).exists():
            return d
    raise ModelIntegrityError(f"{path}: not inside a model directory with a {MANIFEST}")


def canonical_skops(obj: Any) -> bytes:
    import skops.io as sio

    raw = io.BytesIO()
    sio.dump(obj, raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    schema = json.loads(src.read("schema.json"))
    ids: dict[int, int] = {}
    names: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "__id__" and isinstance(v, int):
                    out[k] = ids.setdefault(v, len(ids) + 1)
                elif k == "file" and isinstance(v, str) and v in src.namelist():
                    out[k] = names.setdefault(v, f"{len(names) + 1:06d}{Path(v).suffix}")
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    schema = walk(schema)
    dst_buf = io.BytesIO()
    with zipfile.ZipFile(dst_buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)

        put("schema.json", json.dumps(schema, sort_keys=True).encode())
        for old, new in sorted(names.items(), key=lambda kv: kv[1]):
            put(new, src.read(old))
    return dst_buf.getvalue()


def skops_refused_types(data: bytes) -> list[str]:
    """Every type and function a skops file names that is not in ``TRUSTED_TYPES``.

    skops's own ``get_untrusted_types`` leaves out what skops trusts by default (scikit-learn
    estimators such as a RandomForest or ``FunctionTransformer``, numpy and scipy ufuncs such
    as ``numpy.exp``, ...): here each node of the file's tree is judged against our list
    alone, and nothing is constructed or imported while doing so."""
    from zipfile import ZipFile

    from skops.io._audit import Node, get_tree
    from skops.io._utils import read_schema

    with ZipFile(io.BytesIO(data), "r") as zf:
        schema, load_context = read_schema(zf)
        tree = get_tree(schema, load_context, trusted=None)
    trusted = list(TRUSTED_TYPES)
    seen: set[int] = set()
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.trusted = trusted  # no defaults: ours, and nothing else
        for child in node.children.values():
            if isinstance(child, Node):
                stack.append(child)
            elif isinstance(child, (list, tuple)):
                stack.extend(c for c in child if isinstance(c, Node))
            elif isinstance(child, dict):
                stack.extend(c for c in child.values() if isinstance(c, Node))
    return sorted(tree.get_unsafe_set())


def load_skops(path: Path) -> Any:
    """Load a skops file after checking every type it names against ``TRUSTED_TYPES`` (and
    only those: skops's default-trusted types are not trusted here)."""
    import skops.io as sio

    data = Path(path).read_bytes()
    try:
        refused = skops_refused_types(data)
    except Exception as e:  # a file skops cannot even parse (or too deep to audit)
        raise ModelIntegrityError(f"{path}: not a readable skops file ({type(e).__name__}: {str(e)[:200]})") from None
    if refused:
        raise ModelIntegrityError(f"{path}: refusing to load untrusted types {refused[:20]}")
    # Every type in the file is one of ours: skops may construct it.
    return sio.loads(data, trusted=list(TRUSTED_TYPES))


def check_model_dir(model_dir: Path) -> dict[str, Any]:
    """What can be checked before a model is loaded, cheaply and without constructing
    anything: the directory exists, verifies against its manifest, every JSON file in it
    parses and every skops file names trusted types only. Raises ``ModelIntegrityError``."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelIntegrityError(f"{model_dir}: no such model directory")
    manifest = verify_manifest(model_dir)
    for p in sorted(model_dir.rglob("*")):
        if p.is_file() and p.suffix == ".json":
            try:
                json.loads(p.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError) as e:
                raise ModelIntegrityError(f"{p}: not valid JSON ({str(e)[:200]})") from None
        elif p.is_file() and p.suffix == ".skops":
            try:
                refused = skops_refused_types(p.read_bytes())
            except Exception as e:
                raise ModelIntegrityError(f"{p}: not a readable skops file ({type(e).__name__}: {str(e)[:200]})") from None
            if refused:
                raise ModelIntegrityError(f"{p}: refusing to load untrusted types {refused[:20]}")
    return manifest


def load_model_dir(model_dir: Path) -> tuple[Language, dict[str, Any]]:
    """Verify the manifest, then load the spaCy pipeline saved in ``model_dir``."""
    import spacy

    import nlp.components  # noqa: F401
    import nlp.tokenizer  # noqa: F401

    manifest = verify_manifest(Path(model_dir))
    nlp_ = spacy.load(model_dir)
    return nlp_, manifest.get("meta", {})
