"""Package metadata, kept in one place for setup, the version guard and model files."""

__title__ = "neuralcoref"
__version__ = "5.0.0.dev0"
#: spaCy versions whose C layout the extensions are compiled against (the same pin as pyproject.toml)
SPACY_SUPPORTED = ">=3.8.0,<3.9.0"
#: version of the model file format (model_io.py)
MODEL_FORMAT_VERSION = 1
