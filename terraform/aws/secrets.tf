# Mage's first user's password, generated here and kept in Secrets Manager (read it with
# `aws secretsmanager get-secret-value --secret-id <output mage_owner_password_secret_arn>`).
# The generated value is also in the Terraform state, which the S3 backend encrypts; Mage
# copies it into its own database at the first start, so rotating this secret would not
# change the login (change the password in Mage instead).

resource "random_password" "mage_owner" {
  length  = 24
  special = false
}

resource "aws_secretsmanager_secret" "mage_owner_password" {
  name_prefix             = "${local.name}-mage-owner-password-"
  description             = "Password of Mage's first user (${var.default_owner_email})"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "mage_owner_password" {
  secret_id     = aws_secretsmanager_secret.mage_owner_password.id
  secret_string = random_password.mage_owner.result
}

# The MLflow server's admin user (its basic-auth app, scripts/mlflow_auth_server.sh), one JSON
# secret with `username`, `password` and the `flask_secret_key` of MLflow's forms (the same in
# every MLflow task). ECS injects the first two into both tasks as MLFLOW_TRACKING_USERNAME /
# MLFLOW_TRACKING_PASSWORD (iam.tf): the server sets its admin's password to it on every start,
# and Mage's MLflow client signs in with it. To change the password:
# `terraform apply -replace=random_password.mlflow_admin`, then restart both services.
resource "random_password" "mlflow_admin" {
  length  = 32
  special = false
}

resource "random_password" "mlflow_flask_secret_key" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "mlflow_credentials" {
  name_prefix             = "${local.name}-mlflow-credentials-"
  description             = "The MLflow server's admin user (${var.mlflow_username}), its password and form key"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "mlflow_credentials" {
  secret_id = aws_secretsmanager_secret.mlflow_credentials.id
  secret_string = jsonencode({
    username         = var.mlflow_username
    password         = random_password.mlflow_admin.result
    flask_secret_key = random_password.mlflow_flask_secret_key.result
  })
}
