# The MLflow tracking server for docker-compose.yml (and the deployment), in its own
# environment: requirements-mlflow-server.txt says why it is not the Mage image.
#
# Base: the same exact tag as the Mage image (Python 3.11.7, Debian 12). Not pinned by digest:
# a digest cannot be verified where this file is written (no registry access); pin one in a
# fork with `docker buildx imagetools inspect python:3.11.7-slim-bookworm`.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLOPS_MLFLOW_SERVER_VENV=/opt/mlflow \
    PATH=/opt/mlflow/bin:$PATH \
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false

# requirements-mlflow-server.txt into /opt/mlflow, by the script scripts/mlflow_server.sh uses.
WORKDIR /opt/mlflow-setup
COPY requirements-mlflow-server.txt ./
COPY scripts/setup_mlflow_server.sh scripts/
RUN bash -c 'set -euo pipefail; source scripts/setup_mlflow_server.sh'

# `mlflow server` behind MLflow's basic authentication, as scripts/mlflow_server.sh runs it.
COPY scripts/mlflow_auth_server.sh scripts/mlflow_auth_admin.py scripts/

# A non-root server. The artifact store is a volume at /mlflow/artifacts, the users' database
# (password hashes) one at /mlflow/auth: created here, owned by the server's user, so that a new
# named volume starts with that owner.
ENV MLOPS_MLFLOW_AUTH_DIR=/mlflow/auth
RUN useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin mlflow \
    && install -d -o mlflow -g mlflow /mlflow/artifacts \
    && install -d -m 700 -o mlflow -g mlflow /mlflow/auth
USER 1000:1000
WORKDIR /home/mlflow
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4)"]
# The backend store comes from MLFLOW_BACKEND_STORE_URI (docker-compose.yml: PostgreSQL, with
# the password from PGPASSWORD, never in a URL or on the command line); the admin user from
# MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: without a password it does not start.
CMD ["/opt/mlflow-setup/scripts/mlflow_auth_server.sh", "--host", "0.0.0.0", "--port", "5000", \
     "--artifacts-destination", "/mlflow/artifacts", "--serve-artifacts"]
