"""Mage cancels running pipeline runs for memory the kernel can take back.

Every scheduler tick, Mage 0.9.80's heartbeat (``PipelineScheduler.__run_heartbeat``) cancels
each running pipeline run, killing its block processes, once memory use reaches 95%
(``MEMORY_USAGE_MAXIMUM``). Inside a container with a memory limit it reads use from the cgroup
(``memory.current``, or ``memory.usage_in_bytes`` on cgroup v1), which counts the page cache: a
server that has read and written enough files (parquet months, MLflow artifacts) sits near its
limit with most of it reclaimable, and cancels a training run halfway with memory to spare.
Here the heartbeat reads the working set, as the kubelet and ``docker stats`` do: use less the
inactive file cache. Without a cgroup limit, Mage's own reading (``free``) stands.
Upstream: mage-ai/mage-ai#5897 (its fix brought the cgroup reading, cache included). Can go when
Mage's ``orchestration.utils.resources.get_memory`` leaves out reclaimable cache
(``tests/utils/orchestration/test_memory_reading.py`` gives Mage's own reading a cgroup whose
use is mostly cache: the control).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Optional, Tuple

from mlops.utils.orchestration.patching import patch_on_import

CGROUP_ROOT = Path('/sys/fs/cgroup')
# The schedulers that import Mage's reading by name (``from ...resources import get_memory``).
SCHEDULERS = (
    'mage_ai.orchestration.pipeline_scheduler_original',
    'mage_ai.orchestration.pipeline_scheduler_project_platform',
)
MB = 1024 * 1024
NO_LIMIT = 9e18  # what cgroup v1 writes for "no limit" (v2 writes "max")
# (usage, limit, statistics, the inactive file cache's key in them), cgroup v2 first
FILES = (
    ('memory.current', 'memory.max', 'memory.stat', 'inactive_file'),
    ('memory/memory.usage_in_bytes', 'memory/memory.limit_in_bytes', 'memory/memory.stat', 'total_inactive_file'),
)
Memory = Tuple[float, float, float]  # (free, used, total) in MB, as Mage's get_memory returns


def stat_value(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        name, _, value = line.partition(' ')
        if name == key:
            return int(value)
    return 0


def working_set(root: Path = CGROUP_ROOT) -> Optional[Memory]:
    """(free, used, total) in MB of this cgroup's limit, used being the working set (use less
    inactive file cache); None where no limit is set or the files cannot be read."""
    for usage, limit, stat, inactive in FILES:
        try:
            limit_text = (root / limit).read_text().strip()
            if limit_text == 'max' or float(limit_text) >= NO_LIMIT:
                return None
            total = int(limit_text)
            used = max(0, int((root / usage).read_text()) - stat_value(root / stat, inactive))
        except (OSError, ValueError):
            continue
        return (total - used) / MB, used / MB, total / MB
    return None


def _heartbeat_reads_the_working_set(module: ModuleType) -> None:
    original = module.get_memory

    def get_memory() -> Memory:
        return working_set(CGROUP_ROOT) or original()

    module.get_memory = get_memory


def install_memory_reading() -> None:
    """The schedulers' heartbeats read the cgroup's working set rather than its use with cache."""
    for name in SCHEDULERS:
        patch_on_import(name, _heartbeat_reads_the_working_set)
