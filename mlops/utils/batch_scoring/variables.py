"""The ``batch_scoring`` pipeline's variables, checked before any work starts.

``start_month`` / ``end_month`` mean what they mean to data preparation (``YYYY-MM``, inclusive,
the end not before the start); empty, the newest month at the source (``plan``). ``taxi_colour``
and ``data_source`` as data preparation takes them, but an empty colour is the model's own.
``model_version``: empty for the champion, else a registered version number. ``output``: a folder
or a ``file://`` URL (default ``<MLOPS_DATA_DIR>/batch_scoring``). ``score_new_months`` (the
daily trigger's): the months the model was not trained on that the source now holds, each
scored once per version. ``compute``: ``pandas`` (default: month after month in the block's
process) or ``dask`` (one task per month on the Dask workers, ``on_dask``; the same files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import unquote, urlparse

from mlops.utils.compute.choice import PANDAS, compute_choice
from mlops.utils.data_preparation.months import month_label, month_range, parse_month
from mlops.utils.data_preparation.sources import check_colour, check_source
from mlops.utils.errors import ConfigError
from mlops.utils.paths import data_dir, resolve_local

OUTPUT_FOLDER = 'batch_scoring'  # under the state folder, when ``output`` is empty
TRUE_WORDS, FALSE_WORDS = ('true', '1', 'yes', 'on'), ('false', '0', 'no', 'off', '')
_VERSION = re.compile(r'[1-9][0-9]{0,9}')


@dataclass(frozen=True)
class BatchVariables:
    start_month: Optional[str]  # YYYY-MM; None: end_month, or the newest month
    end_month: Optional[str]  # YYYY-MM; None: the newest month at the source
    taxi_colour: Optional[str]  # None: the model's own (green when it recorded none)
    data_source: Optional[str]  # None: MLOPS_DATA_SOURCE, else the upstream mirror
    model_version: Optional[str]  # None: the champion
    output: Path  # the folder the files go under
    score_new_months: bool
    compute: str = PANDAS  # or DASK (``compute.choice``)


def _text(kwargs: Mapping[str, Any], name: str) -> Optional[str]:
    """A variable as stripped text; None when missing or empty. ConfigError for what is no text
    (a list or an object from ``--vars`` JSON)."""
    value = kwargs.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f'{name} must be text, got {type(value).__name__} {value!r:.80}')
    return str(value).strip() or None


def _month(kwargs: Mapping[str, Any], name: str) -> Optional[str]:
    value = _text(kwargs, name)
    return None if value is None else month_label(parse_month(value, name))


def model_version(value: Optional[str]) -> Optional[str]:
    """A registered version number as text (``'7'``); None for the champion."""
    if value is None:
        return None
    if not _VERSION.fullmatch(value):
        raise ConfigError(
            f'model_version must be a registered version number (1, 2, ...), or empty for the champion; got {value!r:.80}'
        )
    return value


def output_folder(value: Optional[str]) -> Path:
    """The folder ``output`` names: a local folder (relative ones from the repository root) or a
    ``file://`` URL; empty, ``<MLOPS_DATA_DIR>/batch_scoring``. ConfigError for another scheme
    (nothing but local files is written here) or an existing file."""
    if value is None:
        return data_dir() / OUTPUT_FOLDER
    parsed = urlparse(value)
    scheme = parsed.scheme.lower()
    if scheme == 'file':
        if parsed.netloc not in ('', 'localhost'):
            raise ConfigError(f'output {value!r}: a file:// URL names a folder of this machine (file:///path)')
        folder = Path(unquote(parsed.path))
    elif scheme and len(scheme) > 1:  # one letter would be a Windows drive
        raise ConfigError(f'output {value!r}: give a folder or a file:// URL (scheme {scheme}:// is not written to)')
    else:
        folder = resolve_local(value)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f'output {value!r} is a file, not a folder: {folder}')
    return folder


def flag(kwargs: Mapping[str, Any], name: str) -> bool:
    """A yes/no variable: a YAML boolean (a trigger's) or its text (``--set name=true``)."""
    value = kwargs.get(name)
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else '').strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConfigError(f'{name} must be true or false, got {value!r:.80}')


def batch_variables(kwargs: Mapping[str, Any]) -> BatchVariables:
    """The variables checked; ConfigError naming the first that is wrong."""
    compute = compute_choice(kwargs)
    start, end = _month(kwargs, 'start_month'), _month(kwargs, 'end_month')
    if start and end:
        month_range(start, end)  # end before start: data preparation's error
    new_months = flag(kwargs, 'score_new_months')
    if new_months and (start or end):
        raise ConfigError(
            f"score_new_months chooses the months itself (those after the model's training months): "
            f'leave start_month and end_month empty, got {start or ""!r}..{end or ""!r}'
        )
    colour = _text(kwargs, 'taxi_colour')
    return BatchVariables(
        start_month=start,
        end_month=end,
        taxi_colour=check_colour(colour) if colour else None,
        data_source=check_source(kwargs.get('data_source')),
        model_version=model_version(_text(kwargs, 'model_version')),
        output=output_folder(_text(kwargs, 'output')),
        score_new_months=new_months,
        compute=compute,
    )
