"""Model files: one msgpack map of plain data (meta, vocabulary, raw little-endian arrays).

No pickle, no code: loading only decodes msgpack and copies bytes into numpy arrays of
an allowed dtype, then checks every shape against the meta record.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union, cast

import msgpack
import numpy

from .about import MODEL_FORMAT_VERSION
from .errors import Errors
from .features import (
    FEATURE_LAYOUT_VERSION,
    MENTION_FEATS_WIDTH_PY as MENTION_FEATS_WIDTH,
    N_TENSOR_SLOTS_PY as N_TENSOR_SLOTS,
    N_WORD_SLOTS_PY as N_WORD_SLOTS,
    PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH,
)
from .scorer import expected_shapes

MODEL_FILENAME = "model.msgpack"
#: in a fallback stored inside its model: the embedding rows it has of its own (the others are the model's)
SHARED_ROWS_KEY = "embed_rows_of_its_own"
FORMAT_NAME = "neuralcoref-model"
_ALLOWED_DTYPES = {"<f4": "float32", "<f2": "float16"}
MODELS_DIR = Path(__file__).parent / "models"


@dataclass
class CorefModel:
    """A loaded model: meta record, embedding vocabulary and weights.

    fallback: a second model with no doc.tensor input (tensor_width 0), stored inside the same file, that
    the resolver uses for a Doc whose tensor this model cannot read (a pipeline without a tok2vec, a
    transformer or custom pipeline): without it such a Doc gets zeros for the context features, which
    the shipped English model was not trained for.
    """

    meta: Dict[str, Any]
    words: List[str]
    weights: Dict[str, numpy.ndarray]
    fallback: Optional["CorefModel"] = None
    #: weight name -> the dtype it is stored in ("<f2"), for weights read from a file: they are float32
    #: in memory and written back as they were, so a float16 table stays float16 through `to_bytes`
    stored_dtypes: Dict[str, str] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.meta["lang"]

    @property
    def tensor_width(self) -> int:
        return self.meta["tensor_width"]

    def input_width(self) -> int:
        return self.meta["embed_dim"] * N_WORD_SLOTS + self.tensor_width * N_TENSOR_SLOTS + MENTION_FEATS_WIDTH

    def check_shapes(self, path) -> None:
        m = self.meta
        shapes = expected_shapes(
            self.input_width(),
            PAIR_FEATS_WIDTH,
            len(self.words) + 2,
            m["embed_dim"],
            m["encoder_width"],
            m["single_hidden"],
            m["pair_hidden"],
            m.get("similarity_width", 0),
            m.get("bilinear_width", 0),
        )
        for name, shape in shapes.items():
            found = self.weights.get(name)
            if found is None or tuple(found.shape) != tuple(shape):
                detail = f"expected {shape}, found {None if found is None else found.shape}"
                raise ValueError(Errors.E034.format(path=path, name=name, detail=detail))
        extra = set(self.weights) - set(shapes)
        if extra:
            raise ValueError(Errors.E034.format(path=path, name=sorted(extra)[0], detail="unexpected weight"))

    def to_bytes(self) -> bytes:
        return msgpack.packb(self._record(), use_bin_type=True)

    def _record(self) -> Dict[str, Any]:
        """The msgpack map of the model file (`to_bytes`)."""
        arrays = {}
        for name, array in self.weights.items():
            array = numpy.ascontiguousarray(array)
            if name in self.stored_dtypes:
                array = array.astype(self.stored_dtypes[name])
            elif array.dtype.str not in _ALLOWED_DTYPES:
                array = array.astype("<f4")
            arrays[name] = _array_spec(array)
        record = {
            "format": FORMAT_NAME,
            "format_version": MODEL_FORMAT_VERSION,
            "meta": self.meta,
            "words": self.words,
            "weights": arrays,
        }
        if self.fallback is not None:  # an optional key: readers that predate it ignore it
            record["fallback"] = msgpack.packb(self._fallback_record(), use_bin_type=True)
        return record

    def _fallback_record(self) -> Dict[str, Any]:
        """The fallback's record, without what it shares with this model: a fallback trained on the
        same data with the same fixed word vectors has the same vocabulary and mostly the same embedding
        rows, so only the rows that differ are stored (`SHARED_ROWS_KEY`), and its words not at all."""
        fallback = cast(CorefModel, self.fallback)
        record = fallback._record()
        mine, theirs = self.weights.get("embed"), fallback.weights.get("embed")
        if fallback.words != self.words or mine is None or theirs is None or mine.shape != theirs.shape:
            return record
        dtype = self.stored_dtypes.get("embed", "<f4")
        if fallback.stored_dtypes.get("embed", "<f4") != dtype:
            return record
        rows = numpy.flatnonzero((mine.astype(dtype) != theirs.astype(dtype)).any(axis=1)).astype("<i4")
        record["words"] = None
        record["weights"]["embed"] = _array_spec(theirs[rows].astype(dtype))
        record[SHARED_ROWS_KEY] = _array_spec(rows)
        return record

    def _unshared_fallback_record(self, data: bytes, path) -> Any:
        """The fallback's whole record from the bytes `_fallback_record` was stored as (as read if it shares
        nothing; `_from_record` checks the rest)."""
        try:
            record = msgpack.unpackb(data, raw=False, strict_map_key=True)
            if not isinstance(record, dict) or SHARED_ROWS_KEY not in record:
                return record
            spec, rows_spec = record["weights"]["embed"], record.pop(SHARED_ROWS_KEY)
            rows = numpy.frombuffer(rows_spec["data"], dtype="<i4")
            embed = self.weights["embed"].astype(self.stored_dtypes.get("embed", "<f4"))
            embed[rows] = numpy.frombuffer(spec["data"], dtype=spec["dtype"]).reshape(len(rows), -1)
        except Exception as err:  # msgpack raises several types for garbled data, numpy others
            raise ValueError(Errors.E030.format(path=path, reason=f"its fallback model is malformed ({err})")) from None
        record["weights"]["embed"] = _array_spec(embed)
        record["words"] = self.words
        return record

    def with_fallback(self, fallback: Optional["CorefModel"]) -> "CorefModel":
        """This model with `fallback` (a model without tensor input, of the same language) stored inside it."""
        if fallback is not None:
            _check_fallback(self, fallback, "<fallback>")
        return CorefModel(self.meta, self.words, self.weights, fallback, self.stored_dtypes)

    @classmethod
    def from_bytes(cls, data: bytes, path="<bytes>", lang=None) -> "CorefModel":
        try:
            msg = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as err:  # msgpack raises several types for truncated/garbled data
            raise ValueError(Errors.E030.format(path=path, reason=f"not a valid model file ({err})")) from None
        return cls._from_record(msg, path, lang)

    @classmethod
    def _from_record(cls, msg: Any, path, lang=None) -> "CorefModel":
        """The model of a decoded model file, every field checked."""
        if not isinstance(msg, dict) or msg.get("format") != FORMAT_NAME:
            raise ValueError(Errors.E030.format(path=path, reason="not a neuralcoref model file"))
        version = msg.get("format_version")
        if version != MODEL_FORMAT_VERSION:
            newer = isinstance(version, int) and version > MODEL_FORMAT_VERSION
            hint = "Upgrade neuralcoref." if newer else "Retrain or re-export it."
            raise ValueError(Errors.E031.format(path=path, found=version, expected=MODEL_FORMAT_VERSION, hint=hint))
        meta = msg.get("meta") or {}
        if not isinstance(meta, dict):
            raise ValueError(Errors.E030.format(path=path, reason="the meta record is not a map"))
        if meta.get("layout_version") != FEATURE_LAYOUT_VERSION:
            raise ValueError(
                Errors.E032.format(path=path, found=meta.get("layout_version"), expected=FEATURE_LAYOUT_VERSION)
            )
        _check_meta(meta, path)
        if lang is not None and meta["lang"] != lang:
            raise ValueError(Errors.E033.format(path=path, found=meta["lang"], expected=lang))
        weights, stored_dtypes = {}, {}
        specs = msg.get("weights") or {}
        if not isinstance(specs, dict):
            raise ValueError(Errors.E030.format(path=path, reason="the weights are not a map"))
        for name, spec in specs.items():
            try:
                dtype = _ALLOWED_DTYPES[spec["dtype"]]
                array = numpy.frombuffer(spec["data"], dtype=dtype).reshape(spec["shape"])
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(
                    Errors.E030.format(path=path, reason=f"weight '{name}' is malformed ({err})")
                ) from None
            weights[name] = array.astype("float32")
            stored_dtypes[name] = spec["dtype"]
        words = msg.get("words")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError(Errors.E030.format(path=path, reason="the vocabulary is not a list of strings"))
        model = cls(meta, words, weights, stored_dtypes=stored_dtypes)
        model.check_shapes(path)
        if msg.get("fallback") is not None:
            if not isinstance(msg["fallback"], bytes):
                raise ValueError(Errors.E030.format(path=path, reason="the fallback model is not a byte string"))
            inner = model._unshared_fallback_record(msg["fallback"], path)
            fallback = cls._from_record(inner, path=f"{path} (its fallback model)")
            _check_fallback(model, fallback, path)
            model.fallback = fallback
        return model

    def to_disk(self, path: Union[str, Path]) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / MODEL_FILENAME).write_bytes(self.to_bytes())

    @classmethod
    def from_disk(cls, path: Union[str, Path], lang=None) -> "CorefModel":
        path = Path(path)
        file = path / MODEL_FILENAME if path.is_dir() else path
        try:
            data = file.read_bytes()
        except OSError as err:
            raise ValueError(Errors.E030.format(path=file, reason=err.strerror or str(err))) from None
        return cls.from_bytes(data, path=file, lang=lang)


def _array_spec(array: numpy.ndarray) -> dict:
    array = numpy.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}


def _check_fallback(model: CorefModel, fallback: CorefModel, path) -> None:
    """A fallback reads no doc.tensor, is of the model's language and has no fallback of its own."""
    if not model.tensor_width or fallback.tensor_width or fallback.lang != model.lang or fallback.fallback:
        reason = (
            f"its fallback model (language '{fallback.lang}', tensor width {fallback.tensor_width}) must be a "
            f"'{model.lang}' model without tensor input, inside a model that reads doc.tensor"
        )
        raise ValueError(Errors.E030.format(path=path, reason=reason))


def _check_meta(meta: dict, path) -> None:
    """The meta fields the runtime computes shapes from, with their types, so that a wrong file is
    reported as such (E030) instead of failing later with a TypeError."""
    for key in ("lang", "tensor_width", "embed_dim", "encoder_width", "single_hidden", "pair_hidden"):
        if key not in meta:
            raise ValueError(Errors.E030.format(path=path, reason=f"meta record lacks '{key}'"))
    if not isinstance(meta["lang"], str):
        raise ValueError(Errors.E030.format(path=path, reason="meta 'lang' is not a string"))
    for key in ("tensor_width", "embed_dim", "encoder_width"):
        if not isinstance(meta[key], int) or isinstance(meta[key], bool):
            raise ValueError(Errors.E030.format(path=path, reason=f"meta '{key}' is not an integer"))
    for key in ("single_hidden", "pair_hidden"):
        sizes = meta[key]
        if not isinstance(sizes, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
            raise ValueError(Errors.E030.format(path=path, reason=f"meta '{key}' is not a list of integers"))
    for key in ("similarity_width", "bilinear_width"):  # optional: models without the term have none
        width = meta.get(key, 0)
        if not isinstance(width, int) or isinstance(width, bool) or width < 0:
            raise ValueError(Errors.E030.format(path=path, reason=f"meta '{key}' is not an integer >= 0"))
    if not meta["pair_hidden"]:
        raise ValueError(
            Errors.E030.format(path=path, reason="meta 'pair_hidden' is empty (the pair net needs a layer)")
        )


def shipped_languages() -> List[str]:
    return sorted(p.parent.name for p in MODELS_DIR.glob(f"*/{MODEL_FILENAME}"))


def shipped_model_path(lang: str) -> Path:
    path = MODELS_DIR / lang / MODEL_FILENAME
    if not path.exists():
        raise ValueError(Errors.E022.format(lang=lang, available=", ".join(shipped_languages()) or "none"))
    return path


def base_meta(
    lang: str,
    tensor_width: int,
    embed_dim: int,
    encoder_width: int,
    single_hidden,
    pair_hidden,
    similarity_width: int = 0,
    bilinear_width: int = 0,
) -> dict:
    """The sizes and layout part of a meta record; the trainer adds data, pipeline and scores."""
    return {
        "similarity_width": similarity_width,
        "bilinear_width": bilinear_width,
        "lang": lang,
        "layout_version": FEATURE_LAYOUT_VERSION,
        "tensor_width": tensor_width,
        "embed_dim": embed_dim,
        "encoder_width": encoder_width,
        "single_hidden": list(single_hidden),
        "pair_hidden": list(pair_hidden),
        "mention_feats_width": MENTION_FEATS_WIDTH,
        "pair_feats_width": PAIR_FEATS_WIDTH,
        "n_word_slots": N_WORD_SLOTS,
        "n_tensor_slots": N_TENSOR_SLOTS,
    }
