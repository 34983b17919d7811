# Mage with the project's pinned packages; the repository is mounted at /home/src by
# docker-compose.yml, so edits in the UI land in your checkout.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/home/src \
    MAGE_CODE_PATH=/home/src

RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /home/src
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .
EXPOSE 6789 5000
# Mage through the project's entry point: one PostgreSQL connection per process (see
# mlops/utils/orchestration/mage_internals.py).
CMD ["python", "-m", "mlops.utils.orchestration.mage_cli", "start", "mlops", "--host", "0.0.0.0", "--port", "6789"]
