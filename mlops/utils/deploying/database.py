"""Run in the Mage container on AWS before Mage starts (terraform/aws/ecs.tf): create Mage's
database when it does not exist yet, since RDS creates only one (``mlflow``) and Mage does not
create its own. The URL carries no password: libpq takes it from PGPASSWORD, which ECS
injects from the RDS-managed secret.

    python -m mlops.utils.deploying.database     # reads MAGE_DATABASE_CONNECTION_URL
"""

from __future__ import annotations

import os
import sys


def ensure_database(url: str) -> bool:
    """Create the URL's database on its server unless it exists; True when it was created."""
    import psycopg2
    from psycopg2 import errors, sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    options = {
        'host': target.host,
        'port': target.port or 5432,
        'user': target.username,
        'password': target.password,
        'dbname': 'postgres',
        **dict(target.query),
    }
    connection = psycopg2.connect(**{key: value for key, value in options.items() if value is not None})
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s', (target.database,))
            if cursor.fetchone():
                return False
            try:
                cursor.execute(sql.SQL('CREATE DATABASE {}').format(sql.Identifier(target.database)))
            except errors.DuplicateDatabase:  # another task created it meanwhile
                return False
            return True
    finally:
        connection.close()


def main() -> int:
    url = os.environ.get('MAGE_DATABASE_CONNECTION_URL') or ''
    if not url.startswith('postgresql'):
        print('MAGE_DATABASE_CONNECTION_URL is not a PostgreSQL URL: nothing to create')
        return 0
    created = ensure_database(url)
    print(f'database {url.rsplit("/", 1)[-1].split("?")[0]} {"created" if created else "exists"}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
