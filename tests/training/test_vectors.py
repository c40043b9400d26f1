"""Pretrained word vectors in the trainer: read, put in the right rows, kept fixed, exported for the runtime."""

from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from neuralcoref.model_io import CorefModel  # noqa: E402
from training.featurize_corpus import FeatureCache, build_vocabulary, load_pipeline  # noqa: E402
from training.train import Trainer, load_config, prepare_caches  # noqa: E402
from training.vectors import load_vectors, vocabulary_with_vectors  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "train"
ROOT = Path(__file__).parents[2]
DIM = 4
# words of the fixture corpora ("the", "he" ... are training words at min_word_count 2), punctuation, and
# words the fixtures never use: those only reach the vocabulary as extra words
GLOVE_WORDS = ["the", ",", ".", "he", "she", "in", "and", "giraffe", "zebra", "okapi"]
UNSEEN = ["giraffe", "zebra", "okapi"]
SMALL = {
    "training.max_pairs": 120,
    "data.min_word_count": 2,
    "training.stages": ["ranking"],
    "training.ema_decay": 0.0,
    "training.max_batches_per_epoch": 3,
    "model.embed_dim": DIM,
}


def glove_vectors():
    rng = numpy.random.default_rng(7)
    return (rng.integers(-200, 200, size=(len(GLOVE_WORDS), DIM)) / 100).astype("float32")  # exact in text


@pytest.fixture(scope="module")
def glove_file(tmp_path_factory):
    """A tiny GloVe text file (the format of Stanford's glove.6B.*.txt)."""
    path = tmp_path_factory.mktemp("glove") / "vectors.txt"
    lines = [" ".join([w, *(f"{v:.2f}" for v in vec)]) for w, vec in zip(GLOVE_WORDS, glove_vectors())]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def cache(tmp_path_factory, nlp):
    cfg = load_config(overrides=SMALL)
    return FeatureCache.concat(prepare_caches([FIXTURES], tmp_path_factory.mktemp("cache"), nlp, cfg, progress=False))


def make_trainer(cache, tmp_path, glove_file, **overrides):
    settings = dict(
        SMALL, **{"model.pretrained_vectors": str(glove_file), "model.extra_vectors": len(UNSEEN)}, **overrides
    )
    torch.set_num_threads(1)
    return Trainer(load_config(overrides=settings), cache, {}, tmp_path / "out", progress=False)


def table_rows(words, queries):
    """Embedding-table rows of words, as the runtime's WordTable maps them."""
    from spacy.strings import hash_string

    from neuralcoref.features import WordTable

    hashes = numpy.array([[hash_string(w) for w in queries]], dtype="uint64")
    return WordTable(words).lookup(hashes)[0]


def test_text_file_and_npy_parquet_directory_read_alike(glove_file, tmp_path):
    import pyarrow
    import pyarrow.parquet

    numpy.save(tmp_path / "glove_6B_50d_emb.npy", glove_vectors())
    pyarrow.parquet.write_table(pyarrow.table({"index": GLOVE_WORDS}), tmp_path / "glove_6B_index.parquet")
    text, directory = load_vectors(glove_file), load_vectors(tmp_path)
    assert text.words == directory.words == GLOVE_WORDS
    numpy.testing.assert_allclose(text.vectors, directory.vectors, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="glove-6b-50d"):
        load_vectors(tmp_path / "missing.txt")


@pytest.mark.parametrize("freeze", [True, False])
def test_vocabulary_puts_trainable_rows_first_and_adds_extra_words(glove_file, freeze):
    vectors = load_vectors(glove_file)
    vocab = vocabulary_with_vectors(["dog", "the", "he", "barked"], vectors, extra=3, freeze=freeze)
    if freeze:  # training words with a vector are fixed, like the extra words
        assert vocab.words == ["dog", "barked", "the", "he", ",", ".", "she"]
        assert vocab.n_trainable == 2
    else:
        assert vocab.words == ["dog", "the", "he", "barked", ",", ".", "she"]
        assert vocab.n_trainable == 4
    expected = {w: vectors.vectors[GLOVE_WORDS.index(w)] for w in ("the", "he", ",", ".", "she")}
    got = {vocab.words[row - 2]: vec for row, vec in zip(vocab.pretrained_rows, vocab.pretrained)}
    assert set(got) == set(expected)
    for word, vec in expected.items():
        numpy.testing.assert_array_equal(got[word], vec)


def test_vectors_start_the_rows_of_their_words(cache, tmp_path, glove_file):
    trainer = make_trainer(cache, tmp_path, glove_file)
    train_words = build_vocabulary(cache, 2)
    assert set(train_words) < set(trainer.words)
    assert set(trainer.words) - set(train_words) == set(UNSEEN)  # the words no fixture uses, after the others
    table = trainer.model.embedding_table().detach().numpy()
    vectors = glove_vectors()
    rows = table_rows(trainer.words, GLOVE_WORDS)
    assert (rows >= 2).all()
    for word, row, vec in zip(GLOVE_WORDS, rows, vectors):
        numpy.testing.assert_array_equal(table[row], vec, err_msg=word)
    without_vector = table_rows(trainer.words, [w for w in train_words if w not in GLOVE_WORDS])
    assert not numpy.isin(table[without_vector], vectors).any()  # random start


@pytest.mark.parametrize("freeze", [True, False])
def test_fixed_rows_do_not_move_in_training(cache, tmp_path, glove_file, freeze):
    trainer = make_trainer(cache, tmp_path, glove_file, **{"model.freeze_vectors": freeze})
    before = trainer.model.embedding_table().detach().numpy().copy()
    stats = trainer.train_epoch()
    assert stats["batches"] == 3
    after = trainer.model.embedding_table().detach().numpy()
    seen_with_vector = table_rows(trainer.words, ["the", ".", "he"])
    unseen = table_rows(trainer.words, UNSEEN)
    numpy.testing.assert_array_equal(after[unseen], before[unseen])
    if freeze:
        numpy.testing.assert_array_equal(after[seen_with_vector], before[seen_with_vector])
    else:
        assert not numpy.allclose(after[seen_with_vector], before[seen_with_vector])
    trained = slice(2, 2 + trainer.vocab.n_trainable)
    assert not numpy.allclose(after[trained], before[trained])


def test_exported_rows_reach_the_runtime(cache, tmp_path, glove_file):
    trainer = make_trainer(cache, tmp_path, glove_file)
    trainer.train_epoch()
    exported = trainer.exported()
    assert exported.weights["embed"].dtype == numpy.float16
    assert exported.meta["training"]["vectors"] == {
        "source": str(glove_file),
        "words": len(trainer.words),
        "pretrained_rows": len(GLOVE_WORDS),
        "frozen_rows": len(GLOVE_WORDS),
    }
    exported.to_disk(tmp_path / "model")
    assert CorefModel.from_disk(tmp_path / "model").words == trainer.words
    # the component loads the file and finds each vector (float16) by its word, unseen words included
    pipeline = load_pipeline()
    pipeline.add_pipe("neuralcoref", config={"model": str(tmp_path / "model"), "blacklist": False})
    doc = pipeline("The zebra saw the okapi. She ran to it and he followed her.")
    assert doc._.coref_clusters is not None
    resolver = pipeline.get_pipe("neuralcoref").resolver
    hashes = numpy.array([[pipeline.vocab.strings.add(w) for w in GLOVE_WORDS]], dtype="uint64")
    rows = resolver.word_table.lookup(hashes)[0]
    runtime_embed = resolver.scorer.weights["embed"]
    numpy.testing.assert_allclose(numpy.asarray(runtime_embed[rows], dtype="float32"), glove_vectors(), atol=2e-3)
    # and the model reloads into the trainer's torch scorer (the weights' inverse)
    clone = make_trainer(cache, tmp_path, glove_file).model
    clone.load_weights(exported.weights)
    numpy.testing.assert_allclose(clone.embedding_table().detach().numpy(), exported.weights["embed"], atol=0)


def test_the_runtime_never_reads_the_vectors_package():
    """The vectors travel inside the model file: the runtime package names neither the package nor its reader."""
    sources = [p for ext in ("py", "pyx", "pxd") for p in (ROOT / "neuralcoref").rglob(f"*.{ext}")]
    assert sources
    for path in sources:
        text = path.read_text(encoding="utf8").lower()
        for name in ("kumo", "glove", "pyarrow", "training.vectors"):
            assert name not in text, f"{path} mentions {name}"
