"""Every name this project writes into MLflow is spelt once, in ``tracking/schema.py``: no other
module of ``mlops`` writes a tag name (``monitoring.month``, ``mage.pipeline_run_id``,
``stage``, ...) as a literal, in a dict, a ``tags.get`` or a search filter."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import List

from mlops.utils.tracking import schema
from testkit.chain import REPO_ROOT

SCHEMA = REPO_ROOT / 'mlops' / 'utils' / 'tracking' / 'schema.py'
# The tag families schema.py names (a prefix and its dot), and the bare run tag ``stage``.
PREFIXES = ('monitoring', 'mage', 'data', 'contract', 'reproduce', 'batch_scoring', 'champion_history')
TAG_NAME = re.compile(rf'(?:^|tags\.`?)(?:{"|".join(PREFIXES)})\.[a-z_]+|^stage$|tags\.stage\b')
FILE_NAME = re.compile(r'\.(json|md|parquet|pkl|ubj|yaml|txt|lock)$')  # batch_scoring.json is an artifact


def spelt_outside(root: Path) -> List[str]:
    found = []
    for path in sorted((root / 'mlops').rglob('*.py')):
        if path.resolve() == SCHEMA.resolve() or '__pycache__' in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and TAG_NAME.search(node.value):
                if FILE_NAME.search(node.value):
                    continue
                found.append(f'{path.relative_to(root)}:{node.lineno}: {node.value!r}')
    return found


def test_no_module_but_schema_spells_a_tag_name(tmp_path):
    assert spelt_outside(REPO_ROOT) == []
    control = tmp_path / 'mlops' / 'utils' / 'observability' / 'reader.py'  # one literal: it is found
    control.parent.mkdir(parents=True)
    control.write_text("def month(run):\n    return run.data.tags.get('monitoring.month')\n")
    assert spelt_outside(tmp_path) == ["mlops/utils/observability/reader.py:2: 'monitoring.month'"]


def test_the_names_are_what_mlflow_holds():
    assert schema.MONITORING_MONTH == 'monitoring.month' and schema.STAGE == 'stage'
    assert schema.MAGE_PIPELINE_RUN_ID == schema.MAGE_TAG_PREFIX + 'pipeline_run_id'
