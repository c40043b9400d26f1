"""Corpus readers: each format's files -> `training.readers.gold.GoldDoc` (re-exported by `training.corpus`)."""

from training.readers.brat import read_brat
from training.readers.conll2012 import read_conll2012
from training.readers.corefud import read_corefud

__all__ = ["read_brat", "read_conll2012", "read_corefud"]
