# EFS (encrypted with the project key, TLS and IAM required, backed up by AWS Backup): Mage's
# state under /home/src/.mage_data (block outputs, logs, caches), MLflow's artifacts and, apart
# from them, MLflow's users (its basic-auth database). Each service mounts its own access points
# (local.volumes in ecs.tf), as user 1000, and may use no other.

resource "aws_efs_file_system" "this" {
  encrypted        = true
  kms_key_id       = aws_kms_key.this.arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = { Name = local.name }
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_mount_target" "this" {
  count = length(local.private_subnet_ids)

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = local.private_subnet_ids[count.index]
  security_groups = [aws_security_group.this["efs"].id]
}

locals {
  # Access point -> its folder's permissions; the folder is /<access point>.
  access_points = {
    mage   = "0750"
    mlflow = "0750"
    # MLflow's users and password hashes (SQLite): never under the artifacts it serves.
    mlflow-auth = "0700"
  }
}

resource "aws_efs_access_point" "this" {
  for_each = local.access_points

  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = 1000
    gid = 1000
  }

  root_directory {
    path = "/${each.key}"

    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = each.value
    }
  }

  tags = { Name = "${local.name}-${each.key}" }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.efs.json
}

data "aws_iam_policy_document" "efs" {
  statement {
    sid       = "DenyWithoutTls"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = local.service_names

    content {
      sid       = "${title(statement.value)}TaskThroughItsAccessPoint"
      actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      resources = [aws_efs_file_system.this.arn]

      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.service["${statement.value}-task"].arn]
      }

      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = [for volume in local.volumes[statement.value] : aws_efs_access_point.this[volume.access_point].arn]
      }
    }
  }
}
