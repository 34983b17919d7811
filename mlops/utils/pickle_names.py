"""The old module names of the model's classes, kept for pickles only: the one place they live.

Versions registered earlier pickle their classes under the modules they had then:
``mlops.utils.tracking.pyfunc.TripDurationModel`` (before the model shipped its own code) and
``mlops.utils.serving.model.TripDurationModel`` / ``mlops.utils.serving.estimators
.BoosterRegressor`` (before ``model_code`` had its name). In a process of this repository (which
has imported ``mlops.utils``, so this finder is installed) those names import as aliases of
today's modules: the same classes. Remove this module, and its install in ``mlops/utils/__init__.py``,
when no store holds a version registered before 2026-12 (``tests/utils/model_code/test_model.py``
loads such pickles: drop its case with the name).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Dict

OLD_NAMES: Dict[str, str] = {
    'mlops.utils.serving': 'mlops.utils.model_code',
    'mlops.utils.serving.model': 'mlops.utils.model_code.model',
    'mlops.utils.serving.estimators': 'mlops.utils.model_code.estimators',
    'mlops.utils.tracking.pyfunc': 'mlops.utils.model_code.model',
}


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old name as a module holding today's module's names (the same objects)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in OLD_NAMES:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=fullname == 'mlops.utils.serving')

    def create_module(self, spec):
        return None  # a fresh module, filled below

    def exec_module(self, module: ModuleType) -> None:
        today = importlib.import_module(OLD_NAMES[module.__name__])
        module.__dict__.update({k: v for k, v in vars(today).items() if not k.startswith('__')})


def install() -> None:
    if not any(isinstance(finder, _OldNames) for finder in sys.meta_path):
        sys.meta_path.insert(0, _OldNames())
