"""Corpus readers: each format's files -> `training.readers.gold.GoldDoc` (re-exported by `training.corpus`)."""

from .brat import read_brat
from .conll2012 import read_conll2012
from .corefud import read_corefud
from .gap import read_gap_golds

__all__ = ["read_brat", "read_conll2012", "read_corefud", "read_gap_golds"]
