# CloudWatch log groups: one per service (/<project>/ecs/<service>) and the VPC flow logs
# (/<project>/vpc-flow-logs), encrypted with the project key.

resource "aws_cloudwatch_log_group" "service" {
  for_each = local.service_names

  name              = "/${local.name}/ecs/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  name              = "/${local.name}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}
