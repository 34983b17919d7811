"""Mage's own command line with one database connection per process.

    python -m mlops.utils.orchestration.mage_cli start mlops --host 127.0.0.1 --port 6789

The same as ``mage ...``, with every workaround of Mage's bugs installed (``workarounds/``:
one module each, the one list the headless runner installs too): among them the server syncs
every sub-project's triggers whichever is active (``platform_trigger_sync``), stops its whole
process tree on SIGTERM (``clean_stop``), drives the platform's one database
(``platform_state``) only while it holds the driver lease (``scheduler_lease``), runs a global
data product in its own sub-project (``data_product_schedules``), and hands blocks their run's id
(``run_variables``).
"""

import os
import sys

from mlops.utils.errors import ConfigError
from mlops.utils.orchestration.owner_credentials import EMAIL_ENV, PASSWORD_ENV, announce, server_credentials
from mlops.utils.orchestration.platform_state import use_one_database
from mlops.utils.orchestration.workarounds import install_workarounds


def use_owner_credentials() -> None:
    """The owner this install signs in with, in the environment Mage reads at import (and
    ``workarounds.owner_password`` applies); a published or short password stops the start."""
    try:
        credentials, created = server_credentials()
    except ConfigError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    os.environ[EMAIL_ENV], os.environ[PASSWORD_ENV] = credentials.email, credentials.password
    print(announce(credentials, created), file=sys.stderr, flush=True)


if __name__ == '__main__':
    if sys.argv[1:2] == ['start']:
        use_owner_credentials()  # first: before Mage reads DEFAULT_OWNER_* at import
    use_one_database()  # first: Mage reads the URL when its database module is imported
    install_workarounds()  # the one list: the headless runner installs it too
    if sys.argv[1:2] == ['start']:
        from mlops.utils.inference.champion import warm_up

        warm_up()  # before Mage forks its scheduler: predict runs inherit the loaded champion
    from mage_ai.cli.main import app

    sys.argv[0] = 'mage'
    app()
