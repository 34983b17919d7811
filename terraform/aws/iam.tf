# Roles, each allowed only what it uses:
#   <project>-<service>-execution  ECS pulls the service's image, writes its log group, reads its secrets
#   <project>-<service>-task       the container: no policy of its own; EFS's file system policy
#                                  (efs.tf) lets it mount its own access point, nothing else
#   <project>-rds-monitoring       RDS enhanced monitoring (AWS's managed policy for it)
#   <project>-flow-logs            VPC flow logs to their log group

locals {
  db_secret_arn = aws_db_instance.this.master_user_secret[0].secret_arn
  # The secrets' ARNs through their versions: a task starts only once a value is stored.
  mage_owner_secret_arn = aws_secretsmanager_secret_version.mage_owner_password.arn
  mlflow_secret_arn     = aws_secretsmanager_secret_version.mlflow_credentials.arn
  # MLflow's admin, as MLflow's client and scripts/mlflow_auth_server.sh read it (both tasks).
  mlflow_credentials = {
    MLFLOW_TRACKING_USERNAME = "${local.mlflow_secret_arn}:username::"
    MLFLOW_TRACKING_PASSWORD = "${local.mlflow_secret_arn}:password::"
  }
  # Secrets each container gets (name -> Secrets Manager reference); iam.tf grants exactly these.
  container_secrets = {
    mage = merge(
      {
        PGPASSWORD             = "${local.db_secret_arn}:password::"
        DEFAULT_OWNER_PASSWORD = local.mage_owner_secret_arn
      },
      local.mlflow_credentials,
      var.smtp_password_secret_arn == null ? {} : { SMTP_PASSWORD = var.smtp_password_secret_arn },
    )
    mlflow = merge(local.mlflow_credentials, {
      PGPASSWORD                     = "${local.db_secret_arn}:password::"
      MLFLOW_FLASK_SERVER_SECRET_KEY = "${local.mlflow_secret_arn}:flask_secret_key::"
    })
  }
  secret_arns = {
    mage   = compact([local.db_secret_arn, local.mage_owner_secret_arn, local.mlflow_secret_arn, var.smtp_password_secret_arn])
    mlflow = [local.db_secret_arn, local.mlflow_secret_arn]
  }
}

# Who may assume each kind of role: its AWS service, on behalf of this account only.
data "aws_iam_policy_document" "assume" {
  for_each = {
    ecs_tasks      = "ecs-tasks.amazonaws.com"
    rds_monitoring = "monitoring.rds.amazonaws.com"
    flow_logs      = "vpc-flow-logs.amazonaws.com"
  }

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [each.value]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# <service>-execution and <service>-task for each service.
resource "aws_iam_role" "service" {
  for_each = toset([for pair in setproduct(tolist(local.service_names), ["execution", "task"]) : join("-", pair)])

  name               = "${local.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume["ecs_tasks"].json
}

data "aws_iam_policy_document" "execution" {
  for_each = local.service_names

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"] # has no resource-level permissions
    resources = ["*"]
  }

  statement {
    sid       = "PullItsImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this[each.key].arn]
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service[each.key].arn}:*"]
  }

  statement {
    sid       = "ReadItsSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns[each.key]
  }

  statement {
    sid       = "DecryptItsSecretsAndImage"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.service_names

  name   = "pull-log-secrets"
  role   = aws_iam_role.service["${each.key}-execution"].id
  policy = data.aws_iam_policy_document.execution[each.key].json
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${local.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.assume["rds_monitoring"].json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_iam_role" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  name               = "${local.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.assume["flow_logs"].json
}

data "aws_iam_policy_document" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs[0].json
}
