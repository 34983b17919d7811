# Read by the deploy pipeline (mlops/utils/deploying) and the CD workflow.

output "mage_url" {
  description = "Mage's address (HTTPS with certificate_arn, else HTTP)."
  value       = local.mage_url
}

output "mlflow_url" {
  description = "The MLflow server's address on the load balancer (reachable from mlflow_allowed_cidr_blocks only; it asks for the login in mlflow_credentials_secret_arn)."
  value       = local.mlflow_url
}

output "ecr_mage_repository_url" {
  description = "ECR repository to push the Mage image (Dockerfile) to."
  value       = aws_ecr_repository.this["mage"].repository_url
}

output "ecr_mlflow_repository_url" {
  description = "ECR repository to push the MLflow server image (mlflow.Dockerfile) to."
  value       = aws_ecr_repository.this["mlflow"].repository_url
}

output "ecs_cluster_name" {
  description = "The ECS cluster running both services."
  value       = aws_ecs_cluster.this.name
}

output "mage_owner_password_secret_arn" {
  description = "Secrets Manager secret holding the password of Mage's first user (default_owner_email)."
  value       = aws_secretsmanager_secret.mage_owner_password.arn
}

output "mlflow_credentials_secret_arn" {
  description = "Secrets Manager secret (JSON: username, password) of the MLflow server's admin user, which Mage signs in with."
  value       = aws_secretsmanager_secret.mlflow_credentials.arn
}

output "database_secret_arn" {
  description = "Secrets Manager secret of the database's master user (managed and rotated by RDS)."
  value       = local.db_secret_arn
}

output "database_endpoint" {
  description = "PostgreSQL endpoint inside the VPC."
  value       = aws_db_instance.this.endpoint
}
