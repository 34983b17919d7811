# Mage with the project's pinned packages; docker-compose.yml also runs the model server
# (scripts/serve.sh) from this image. The compose file mounts the repository at /home/src, so
# edits in the UI land in your checkout; without the mount (a registry image on ECS) the code
# copied below is served.
#
# Base: an exact tag, the Python that .venv is built and tested with (3.11.7) on Debian 12.
# Not pinned by digest: a digest cannot be verified where this file is written (no registry
# access); pin one in a fork with `docker buildx imagetools inspect python:3.11.7-slim-bookworm`.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLOPS_VENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/home/src \
    MAGE_CODE_PATH=/home/src \
    HOME=/home/mage

# git: Mage's version-control page and terminal (docker-compose.yml mounts .gitconfig).
# Not pinned to a Debian version: bookworm keeps one version of a package in its archive and
# replaces it in place at each security or point release, so an exact pin (git=1:2.39.5-...)
# would break this build at git's next fix; the base tag fixes the release (bookworm).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

# The runtime user. docker-compose.yml runs the container as your own user id (MLOPS_UID /
# MLOPS_GID, which start.sh writes into .env) so that files Mage writes into the mounted
# checkout are yours; HOME is writable whatever that id is (Jupyter kernels, git, Mage).
RUN useradd --uid 1000 --user-group --no-create-home --shell /bin/bash mage \
    && install -d -m 1777 /home/mage \
    && install -d -o mage -g mage /home/src

WORKDIR /home/src
# requirements.txt with constraints.txt into /opt/venv, by the script the local mode uses (it
# also records what it installed, so scripts/serve.sh finds the virtualenv current; it reads
# requirements-dev.txt for that record only: without --dev no test package is installed).
COPY requirements.txt constraints.txt requirements-dev.txt ./
COPY scripts/setup_venv.sh scripts/
RUN bash -c 'set -euo pipefail; source scripts/setup_venv.sh'

COPY --chown=1000:1000 . .
USER 1000:1000
EXPOSE 6789 5001
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6789/api/status', timeout=8)"]
# Mage through the project's entry point, with every workaround of its bugs (one PostgreSQL
# connection per process among them: mlops/utils/orchestration/workarounds/).
CMD ["python", "-m", "mlops.utils.orchestration.mage_cli", "start", "mlops", "--host", "0.0.0.0", "--port", "6789"]
