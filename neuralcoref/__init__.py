"""neuralcoref: neural coreference resolution as a spaCy 3 pipeline component.

import spacy
nlp = spacy.load("en_core_web_sm")
nlp.add_pipe("neuralcoref")
doc = nlp("My sister has a dog. She loves him.")
doc._.coref_clusters, doc._.coref_resolved
"""

from ._compat import check_spacy_version

check_spacy_version()

from .about import __version__  # noqa: E402
from .component import Cluster, NeuralCoref, make_neuralcoref  # noqa: E402
from .featurize import set_speakers  # noqa: E402
from .conversation import Conversation, Turn, doc_from_utterances  # noqa: E402
from .visualize import render  # noqa: E402


def add_to_pipe(nlp, **config):
    """NeuralCoref 4's entry point, kept for migrating code: `nlp.add_pipe("neuralcoref", config=config)`."""
    nlp.add_pipe("neuralcoref", config=config)
    return nlp


__all__ = [
    "Cluster",
    "Conversation",
    "NeuralCoref",
    "Turn",
    "add_to_pipe",
    "doc_from_utterances",
    "make_neuralcoref",
    "render",
    "set_speakers",
    "__version__",
]
