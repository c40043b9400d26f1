"""Model files: one msgpack map of plain data (meta, vocabulary, raw little-endian arrays).

No pickle, no code: loading only decodes msgpack and copies bytes into numpy arrays of
an allowed dtype, then checks every shape against the meta record.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Union

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
FORMAT_NAME = "neuralcoref-model"
_ALLOWED_DTYPES = {"<f4": "float32", "<f2": "float16"}
MODELS_DIR = Path(__file__).parent / "models"


@dataclass
class CorefModel:
    """A loaded model: meta record, embedding vocabulary and weights."""

    meta: Dict[str, Any]
    words: List[str]
    weights: Dict[str, numpy.ndarray]

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
        arrays = {}
        for name, array in self.weights.items():
            array = numpy.ascontiguousarray(array)
            if array.dtype.str not in _ALLOWED_DTYPES:
                array = array.astype("<f4")
            arrays[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "data": array.tobytes()}
        return msgpack.packb(
            {
                "format": FORMAT_NAME,
                "format_version": MODEL_FORMAT_VERSION,
                "meta": self.meta,
                "words": self.words,
                "weights": arrays,
            },
            use_bin_type=True,
        )

    @classmethod
    def from_bytes(cls, data: bytes, path="<bytes>", lang=None) -> "CorefModel":
        try:
            msg = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as err:  # msgpack raises several types for truncated/garbled data
            raise ValueError(Errors.E030.format(path=path, reason=f"not a valid model file ({err})")) from None
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
        weights = {}
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
        words = msg.get("words")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError(Errors.E030.format(path=path, reason="the vocabulary is not a list of strings"))
        model = cls(meta, words, weights)
        model.check_shapes(path)
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
