# The application load balancer: Mage on 443 (HTTPS, with certificate_arn; port 80 only
# redirects to it) or, without a certificate, on 80 in plain HTTP; MLflow on 5000 (HTTPS or HTTP
# alike). Clients: allowed_cidr_blocks for Mage, mlflow_allowed_cidr_blocks for MLflow
# (security_groups.tf); plain HTTP open to the whole internet only with allow_public_http
# (variables.tf). TLS ends here; the targets are in private subnets.

locals {
  # TLS 1.3 and 1.2 only, forward-secret ciphers (AWS's recommended policy for new listeners).
  tls_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

resource "aws_lb" "this" {
  name                       = local.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.this["alb"].id]
  subnets                    = local.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 300 # Mage's editor keeps websockets open

  dynamic "access_logs" {
    for_each = var.alb_access_logs_bucket == null ? [] : [var.alb_access_logs_bucket]

    content {
      bucket  = access_logs.value
      prefix  = local.name
      enabled = true
    }
  }
}

resource "aws_lb_target_group" "this" {
  for_each = local.service_names

  name                 = "${local.name}-${each.key}"
  port                 = local.ports[each.key]
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = local.vpc_id
  deregistration_delay = 30

  health_check {
    path                = each.key == "mage" ? "/api/status" : "/health"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 5
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = local.tls_policy
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["mage"].arn
  }
}

# With a certificate: a redirect to HTTPS.
resource "aws_lb_listener" "http_redirect" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# Without a certificate only: Mage in plain HTTP (a first try: to narrowed allowed_cidr_blocks,
# or to the whole internet with allow_public_http = true).
resource "aws_lb_listener" "http_forward" {
  count = local.https ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["mage"].arn
  }
}

resource "aws_lb_listener" "mlflow" {
  load_balancer_arn = aws_lb.this.arn
  port              = local.ports.mlflow
  protocol          = local.https ? "HTTPS" : "HTTP"
  ssl_policy        = local.https ? local.tls_policy : null
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["mlflow"].arn
  }
}
