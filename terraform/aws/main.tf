# Mage and an MLflow tracking server on ECS Fargate behind one application load balancer, with
# RDS PostgreSQL for both (databases `mage` and `mlflow`), EFS for Mage's state and MLflow's
# artifacts, images in ECR and logs in CloudWatch. Files by concern: network.tf, kms.tf,
# ecr.tf, logs.tf, secrets.tf, rds.tf, efs.tf, alb.tf, security_groups.tf, iam.tf, ecs.tf.

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project   = var.project_name
      ManagedBy = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  name       = var.project_name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # No certificate: null, or empty as the CD workflow passes an unset CERTIFICATE_ARN.
  https           = var.certificate_arn != null && var.certificate_arn != ""
  certificate_arn = local.https ? var.certificate_arn : null

  # The two services; ecs.tf, iam.tf, logs.tf and efs.tf iterate over them.
  service_names = toset(["mage", "mlflow"])
  ports = {
    mage   = 6789
    mlflow = 5000
  }

  # Private DNS name of the MLflow service inside the VPC (Cloud Map), used by Mage.
  internal_domain = "${local.name}.internal"
  mlflow_internal = "mlflow.${local.internal_domain}"

  public_host = coalesce(var.public_hostname, aws_lb.this.dns_name)
  scheme      = local.https ? "https" : "http"
  mage_url    = "${local.scheme}://${local.public_host}"
  mlflow_url  = "${local.scheme}://${local.public_host}:${local.ports.mlflow}"
}
