"""Patching a module of Mage's right after its first import, in this process and every process
forked after: the mechanism each Mage workaround uses."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Callable


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Applies ``patch`` to module ``name`` right after its first import, in this process and
    in every process forked after. Patching Mage's modules must wait for their own import:
    importing them early would open Mage's database before Mage has set its repo path."""

    def __init__(self, name: str, patch: Callable[[ModuleType], None]):
        self.name, self.patch = name, patch

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # one patch per import; find the real spec without us
        spec = importlib.util.find_spec(fullname)
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            self.patch(module)

        spec.loader.exec_module = exec_module
        return spec


def patch_on_import(name: str, patch: Callable[[ModuleType], None]) -> None:
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        sys.meta_path.insert(0, _PatchOnImport(name, patch))
