"""Build the Cython extensions against the numpy and spaCy headers of the build environment."""

from pathlib import Path

import numpy
import spacy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

MOD_NAMES = ["neuralcoref.mentions", "neuralcoref.features", "neuralcoref.resolution"]
COMPILER_DIRECTIVES = {"language_level": 3, "embedsignature": True}


def extensions():
    return [
        Extension(
            name,
            [name.replace(".", "/") + ".pyx"],
            include_dirs=[numpy.get_include()],
            language="c++",
            extra_compile_args=["-O3"],
            depends=["neuralcoref/pair_kernel.hh", "neuralcoref/structs.pxd"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for name in MOD_NAMES
    ]


def packages():
    """The package, and the repo's top-level training/ installed as ``neuralcoref.training``.

    A checkout runs the trainer as ``python -m training``; an install must not add a top-level
    module named ``training`` (it would collide with any other of that name), so setup maps
    the folder under the package (``package_dir``) and its imports are relative.
    """
    trainer = ["neuralcoref.training"] + [f"neuralcoref.training.{name}" for name in find_packages("training")]
    return find_packages(include=["neuralcoref", "neuralcoref.*"]) + trainer


def write_build_info():
    """Record the spaCy the extensions are compiled against (named by the import-time layout check)."""
    Path("neuralcoref/_build_info.py").write_text(
        f'"""Written by setup.py."""\nSPACY_BUILD_VERSION = "{spacy.__version__}"\n'
    )


write_build_info()
setup(
    packages=packages(),
    package_dir={"neuralcoref.training": "training"},
    ext_modules=cythonize(extensions(), compiler_directives=COMPILER_DIRECTIVES),
)
