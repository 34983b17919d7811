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
