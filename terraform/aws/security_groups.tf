# Who may talk to whom: clients -> load balancer -> Mage / MLflow; Mage -> MLflow; both ->
# PostgreSQL and EFS; the tasks -> HTTPS and SMTP outside (ECR, Secrets Manager, the data
# source, the mail server). Nothing else, in either direction: each link below is one egress
# rule on its source's group and one ingress rule on its destination's.

locals {
  security_groups = {
    alb = "the load balancer"
    db  = "PostgreSQL"
    efs = "EFS mount targets"
  }
  security_group_ids = merge(
    { for key, group in aws_security_group.this : key => group.id },
    { mage = aws_security_group.mage.id, mlflow = aws_security_group.mlflow.id },
  )
  links = {
    alb-mage    = { from = "alb", to = "mage", port = local.ports.mage }
    alb-mlflow  = { from = "alb", to = "mlflow", port = local.ports.mlflow }
    mage-mlflow = { from = "mage", to = "mlflow", port = local.ports.mlflow }
    mage-db     = { from = "mage", to = "db", port = 5432 }
    mlflow-db   = { from = "mlflow", to = "db", port = 5432 }
    mage-efs    = { from = "mage", to = "efs", port = 2049 }
    mlflow-efs  = { from = "mlflow", to = "efs", port = 2049 }
  }
  # With a certificate 80 only redirects to 443 (alb.tf).
  mage_ports = local.https ? [80, 443] : [80]
  # client rules, the load balancer's only ingress: one per (port, CIDR)
  client_ingress = merge(
    { for pair in setproduct(local.mage_ports, var.allowed_cidr_blocks) : "mage-${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] } },
    { for cidr in var.mlflow_allowed_cidr_blocks : "mlflow-${cidr}" => { port = local.ports.mlflow, cidr = cidr } },
  )
  # task egress to the outside world through the NAT gateway: HTTPS for all, SMTP for Mage
  outside_ports = {
    mage   = toset([443, try(tonumber(var.mage_environment["SMTP_PORT"]), 587)])
    mlflow = toset([443])
  }
  outside_egress = merge([
    for service, ports in local.outside_ports : { for port in ports : "${service}-${port}" => { service = service, port = port } }
  ]...)
}

resource "aws_security_group" "this" {
  for_each = local.security_groups

  name_prefix = "${local.name}-${each.key}-"
  description = "${local.name}: ${each.value}"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

# The services' groups are resources of their own: checkov's graph does not see a for_each
# group attached to the for_each ECS services (CKV2_AWS_5 false positive).
resource "aws_security_group" "mage" {
  name_prefix = "${local.name}-mage-"
  description = "${local.name}: the Mage tasks"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "mlflow" {
  name_prefix = "${local.name}-mlflow-"
  description = "${local.name}: the MLflow server tasks"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "link" {
  for_each = local.links

  security_group_id            = local.security_group_ids[each.value.from]
  description                  = "${each.value.from} to ${each.value.to}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = local.security_group_ids[each.value.to]
}

resource "aws_vpc_security_group_ingress_rule" "link" {
  for_each = local.links

  security_group_id            = local.security_group_ids[each.value.to]
  description                  = "${each.value.to} from ${each.value.from}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = local.security_group_ids[each.value.from]
}

resource "aws_vpc_security_group_ingress_rule" "alb_clients" {
  for_each = local.client_ingress

  security_group_id = aws_security_group.this["alb"].id
  description       = "Clients to ${startswith(each.key, "mage") ? "Mage" : "MLflow"} on ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6         = strcontains(each.value.cidr, ":") ? each.value.cidr : null
}

resource "aws_vpc_security_group_egress_rule" "service_outside" {
  for_each = local.outside_egress

  security_group_id = local.security_group_ids[each.value.service]
  description       = "${each.value.service} to port ${each.value.port} outside (${each.value.port == 443 ? "HTTPS: ECR, Secrets Manager, data source" : "SMTP"})"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = "0.0.0.0/0"
}
