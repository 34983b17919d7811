# Pinned Terraform and providers. The S3 backend is partial: bucket, key and region come from
# `terraform init -backend-config=...` (the deploy pipeline and the CD workflow pass them), so
# nothing account-specific is committed. S3-native state locking needs Terraform >= 1.10.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
