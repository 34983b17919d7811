# Stand-in for postgres:16.4-bookworm, built only where that image cannot be pulled
# (tests/containers/standins.py), from Debian bookworm's own packages. What differs from the
# official image: PostgreSQL is Debian's 15 (not 16.4), so a data volume it initialised cannot
# be opened by the real image (or the other way round); the entrypoint (postgres-entrypoint.sh)
# is this repository's, honouring what the official one does for POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_INITDB_ARGS and /docker-entrypoint-initdb.d.
# hadolint global ignore=DL3006,DL3008
ARG BASE=localhost/mlops-debootstrap:bookworm
FROM ${BASE}

ENV LANG=C.UTF-8 \
    PGDATA=/var/lib/postgresql/data \
    PATH=/usr/lib/postgresql/15/bin:$PATH

# The official image's user (uid and gid 999: a volume it initialised keeps that owner); no
# cluster created by the package (the entrypoint initialises PGDATA).
RUN groupadd -r -g 999 postgres \
    && useradd -r -g postgres -u 999 --home-dir /var/lib/postgresql --shell /bin/bash postgres \
    && install -d -o postgres -g postgres /var/lib/postgresql \
    && mkdir -p /etc/postgresql-common \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && printf '%s\n' \
      'deb http://deb.debian.org/debian bookworm main' \
      'deb http://deb.debian.org/debian bookworm-updates main' \
      'deb http://deb.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 tzdata \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && install -d -m 3777 -o postgres -g postgres /var/run/postgresql \
    && install -d -m 700 -o postgres -g postgres "$PGDATA" \
    && mkdir /docker-entrypoint-initdb.d

COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
