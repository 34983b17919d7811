"""Mage rewrites its files in place: a reader in between sees them empty or half-written.

Upstream: no issue found (Mage 0.9.80's ``shared/io.safe_write``). Can go when ``safe_write``
writes a temporary file and renames it (``tests/utils/orchestration/test_patch_on_import.py``'s
torn-read control then reads no torn file).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from mlops.utils.orchestration.patching import patch_on_import


def _replace_whole(filepath: str, umask: int) -> str:
    """A temporary file beside ``filepath`` (same file system, so ``os.replace`` is atomic),
    with the mode the file has, or would get if created as Mage creates it."""
    import tempfile

    directory, name = os.path.split(os.path.abspath(filepath))
    fd, temp_path = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=directory)
    os.close(fd)
    mode = os.stat(filepath).st_mode & 0o7777 if os.path.exists(filepath) else 0o666 & ~umask
    os.chmod(temp_path, mode)
    return temp_path


def _atomic_writes(module: ModuleType) -> None:
    original, original_async = module.safe_write, module.safe_write_async
    # Read once, here (at Mage's first import): reading the umask means setting it, and doing
    # that per write would briefly give other threads' new files mode 0666.
    umask = os.umask(0)
    os.umask(umask)

    def safe_write(filepath: str, content: str, write_func=None, write_mode: str = 'w'):
        if write_mode not in ('w', 'wb'):  # appends cannot be replaced whole
            return original(filepath, content, write_func, write_mode)
        temp_path = _replace_whole(filepath, umask)
        try:
            with open(temp_path, write_mode, **({} if 'b' in write_mode else {'encoding': 'utf-8'})) as fp:
                write_func(fp, content) if write_func is not None else fp.write(content)
            os.replace(temp_path, filepath)
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)

    async def safe_write_async(filepath: str, content: str, write_func=None, write_mode: str = 'w'):
        if write_mode not in ('w', 'wb'):
            return await original_async(filepath, content, write_func, write_mode)
        import aiofiles

        temp_path = _replace_whole(filepath, umask)
        try:
            async with aiofiles.open(
                temp_path, mode=write_mode, **({} if 'b' in write_mode else {'encoding': 'utf-8'})
            ) as fp:
                await (write_func(fp, content) if write_func is not None else fp.write(content))
            os.replace(temp_path, filepath)
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)

    for name, replaced, patched in (
        ('safe_write', original, safe_write),
        ('safe_write_async', original_async, safe_write_async),
    ):
        # Modules that imported the name before this patch hold the original: rebind them too.
        for loaded in list(sys.modules.values()):
            if loaded is not None and getattr(loaded, name, None) is replaced:
                setattr(loaded, name, patched)


def install_atomic_file_writes() -> None:
    """Mage 0.9.80's ``shared/io.safe_write(_async)`` truncates a file and then writes it in
    place (its ``.temp`` copy is only for restoring on error), so a reader in between sees an
    empty or half-written file. The editor saves a pipeline's ``metadata.yaml`` asynchronously
    (in a thread, through ``aiofiles``) while the same server answers the page's other requests:
    one fresh-clone test run in four showed the toast "Invalid pipeline config: {}" from a read
    of the truncated file (``Pipeline.load_config``). ``triggers.yaml``, dashboards' block
    layouts and project settings are written the same way. This writes a temporary file beside
    the target and renames it over (``os.replace``): a reader sees the old file or the new one,
    never a part. No upstream issue found."""
    patch_on_import('mage_ai.shared.io', _atomic_writes)
