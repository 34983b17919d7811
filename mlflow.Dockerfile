# The MLflow tracking server for docker-compose.yml, in its own environment
# (see requirements-mlflow-server.txt for why it is not the Mage image).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1
COPY requirements-mlflow-server.txt /tmp/
RUN pip install -r /tmp/requirements-mlflow-server.txt
EXPOSE 5000
