"""Where the platform's Mage state lives: one database for every sub-project.

Mage 0.9.80 keeps its embedded SQLite database in the *active* sub-project's variables folder,
so runs, triggers and run-health charts depended on which sub-project the UI happened to
show, and the headless runner wrote each sub-project's runs to another file. The platform uses
one database instead, whichever sub-project is active: ``MAGE_DATABASE_CONNECTION_URL`` when
set (docker-compose's PostgreSQL), else SQLite in the platform's state folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlops.utils.paths import REPO_ROOT

DATABASE_URL_ENV = 'MAGE_DATABASE_CONNECTION_URL'
DATABASE_FILE = 'mage-ai.db'


def platform_state_dir() -> Path:
    """Mage's folder for the platform root (``mlops``): ``$MAGE_DATA_DIR/mlops`` when
    ``MAGE_DATA_DIR`` is set (Mage appends the project name), else ``.mage_data/platform``
    (``variables_dir`` of ``mlops/metadata.yaml``). ``scripts/start.sh`` keeps the UI's active
    sub-project there too."""
    mage_data = os.environ.get('MAGE_DATA_DIR')
    return Path(mage_data, 'mlops') if mage_data else REPO_ROOT / '.mage_data' / 'platform'


def database_url() -> str:
    """The platform's Mage database: the environment's URL, else the embedded SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or f'sqlite:///{platform_state_dir() / DATABASE_FILE}'


def use_one_database() -> str:
    """Point this process (and every process it starts) at the platform's database. Call it
    before anything imports ``mage_ai.orchestration.db``, which reads the URL at import."""
    url = database_url()
    if url.startswith('sqlite:///'):
        Path(url[len('sqlite:///') :]).parent.mkdir(parents=True, exist_ok=True)
    os.environ[DATABASE_URL_ENV] = url
    return url
