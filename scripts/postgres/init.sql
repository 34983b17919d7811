-- Runs once when the PostgreSQL volume is new: a database for MLflow beside Mage's.
CREATE DATABASE mlflow;
