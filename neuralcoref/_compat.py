"""Refuse to run against a spaCy whose version or C layout differs from the build's.

The extensions read spaCy's TokenC struct directly, so a spaCy outside the supported
range could give wrong results or crash: better a clear ImportError naming both versions.
"""

import spacy
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .about import SPACY_SUPPORTED, __version__
from .errors import Errors


def check_spacy_version(installed: str = spacy.__version__) -> None:
    if Version(installed) not in SpecifierSet(SPACY_SUPPORTED):
        raise ImportError(Errors.E001.format(version=__version__, supported=SPACY_SUPPORTED, installed=installed))


def check_token_layout() -> None:
    """Read a hand-built Doc through the compiled TokenC accessors and compare with spaCy's Python API.

    Cython already refuses a Doc type of another size at import; this catches a TokenC whose
    fields moved while the sizes stayed the same.
    """
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

    from .mentions import token_c_fields

    doc = Doc(
        Vocab(),
        words=["Anna", "sees", "Bob", "."],
        heads=[1, 1, 1, 1],
        deps=["nsubj", "ROOT", "dobj", "punct"],
        pos=["PROPN", "VERB", "PROPN", "PUNCT"],
        ents=["B-PERSON", "O", "B-PERSON", "O"],
    )
    expected = [
        (t.lower, int(t.pos), t.dep, t.head.i - t.i, t.ent_type, t.ent_iob, t.left_edge.i, t.right_edge.i) for t in doc
    ]
    found = token_c_fields(doc)
    if found != expected:
        raise ImportError(
            Errors.E002.format(
                built=_built_spacy(), installed=spacy.__version__, detail=f"read {found}, expected {expected}"
            )
        )


def _built_spacy() -> str:
    try:
        from ._build_info import SPACY_BUILD_VERSION
    except ImportError:
        return "unknown"
    return SPACY_BUILD_VERSION
