"""The MLflow server's admin user, as the environment says, before the server starts
(scripts/mlflow_auth_server.sh runs it with the server's own Python, full MLflow).

MLflow's basic-auth app creates its admin once, with the password of that first start, and
ignores the setting afterwards. Here the admin user (MLFLOW_AUTH_ADMIN_USERNAME) is created if
missing, and otherwise given the configured password (MLFLOW_AUTH_ADMIN_PASSWORD) and the admin
flag again, so the server accepts exactly the credentials its clients are given. The users'
database is the one MLFLOW_AUTH_CONFIG_PATH names. Prints what it did, never the password.
"""

from __future__ import annotations

import os
import sys


def ensure_admin(database_uri: str, username: str, password: str) -> str:
    """Create or update ``username`` as an admin with ``password``; says what changed.
    MlflowException for a password MLflow refuses (empty, too short, its old default)."""
    from mlflow.server.auth import _validate_bootstrap_admin_password
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    _validate_bootstrap_admin_password(username, password)  # MLflow's own rules, before any change
    store = SqlAlchemyStore()
    store.init_db(database_uri)
    if not store.has_user(username, use_primary=True):
        store.create_user(username, password, is_admin=True)
        return f'created the admin user {username!r}'
    changed = []
    if not store.authenticate_user(username, password, use_primary=True):
        store.update_user(username, password=password)
        changed.append('its password set to MLFLOW_TRACKING_PASSWORD')
    if not store.get_user(username).is_admin:
        store.update_user(username, is_admin=True)
        changed.append('made admin again')
    return f'admin user {username!r}: ' + (', '.join(changed) if changed else 'unchanged')


def main() -> int:
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.config import read_auth_config

    username = os.environ.get('MLFLOW_AUTH_ADMIN_USERNAME', '')
    password = os.environ.get('MLFLOW_AUTH_ADMIN_PASSWORD', '')
    if not username or not password:
        print('error: MLFLOW_AUTH_ADMIN_USERNAME and MLFLOW_AUTH_ADMIN_PASSWORD must be set', file=sys.stderr)
        return 2
    database_uri = read_auth_config().database_uri
    try:
        done = ensure_admin(database_uri, username, password)
    except MlflowException as error:
        print(f'error: MLflow basic authentication ({database_uri}): {error.message}', file=sys.stderr)
        return 2
    print(f'MLflow basic authentication ({database_uri}): {done}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
