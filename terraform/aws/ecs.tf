# The ECS Fargate cluster and its two services. A deploy changes mage_image / mlflow_image:
# Terraform registers new task definitions and ECS rolls the services; apply waits for the
# rollout (wait_for_steady_state) and a rollout that does not get healthy is rolled back
# (circuit breaker), so the apply fails instead of leaving a broken service.

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# MLflow's private DNS name (mlflow.<project>.internal) for Mage.
resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = local.internal_domain
  description = "${local.name}: service names inside the VPC"
  vpc         = local.vpc_id
}

resource "aws_service_discovery_service" "mlflow" {
  name = "mlflow"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }
}

locals {
  database_host = aws_db_instance.this.address
  images = {
    mage   = var.mage_image
    mlflow = var.mlflow_image
  }
  cpu    = { mage = var.mage_cpu, mlflow = var.mlflow_cpu }
  memory = { mage = var.mage_memory, mlflow = var.mlflow_memory }
  # Each service's EFS volumes: name -> its access point (efs.tf) and where it is mounted.
  volumes = {
    mage = {
      data = { access_point = "mage", path = "/home/src/.mage_data" }
    }
    mlflow = {
      data = { access_point = "mlflow", path = "/mlflow/artifacts" }
      # MLOPS_MLFLOW_AUTH_DIR: the users' database of MLflow's basic-auth app, kept across restarts.
      auth = { access_point = "mlflow-auth", path = "/mlflow/auth" }
    }
  }
  # As in docker-compose.yml: the password comes as PGPASSWORD (libpq reads it), so the URLs
  # carry none.
  commands = {
    # Creates the `mage` database on the first start (RDS creates only `mlflow`), then Mage
    # through the project's entry point (Dockerfile's CMD).
    mage = ["sh", "-c", "python -m mlops.utils.deploying.database && exec python -m mlops.utils.orchestration.mage_cli start mlops --host 0.0.0.0 --port ${local.ports.mage}"]
    # `mlflow server --app-name basic-auth` as in docker-compose.yml (mlflow.Dockerfile's script):
    # its admin is MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (iam.tf), it refuses to
    # start without them and answers nothing but /health (the load balancer's check) without them.
    mlflow = [
      "/opt/mlflow-setup/scripts/mlflow_auth_server.sh",
      "--host", "0.0.0.0", "--port", tostring(local.ports.mlflow), "--workers", "2",
      "--artifacts-destination", local.volumes.mlflow.data.path, "--serve-artifacts",
    ]
  }
  environment = {
    mage = merge(var.mage_environment, {
      MAGE_DATABASE_CONNECTION_URL = "postgresql+psycopg2://${var.db_username}@${local.database_host}:5432/mage?sslmode=require"
      MLFLOW_TRACKING_URI          = "http://${local.mlflow_internal}:${local.ports.mlflow}"
      DEFAULT_OWNER_EMAIL          = var.default_owner_email
      REQUIRE_USER_AUTHENTICATION  = "1"
      MAGE_PUBLIC_HOST             = local.mage_url
      MAGE_PRESENTERS_DIRECTORY    = "/home/src/mlops/presenters"
    })
    mlflow = {
      MLFLOW_BACKEND_STORE_URI = "postgresql://${var.db_username}@${local.database_host}:5432/mlflow?sslmode=require"
      MLOPS_MLFLOW_AUTH_DIR    = local.volumes.mlflow.auth.path
      # MLflow 3 answers only the Host names it is told (403 otherwise); health checks are exempt.
      MLFLOW_SERVER_ALLOWED_HOSTS        = "${local.mlflow_internal}:*,${local.public_host}:*"
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION = "false"
    }
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.service_names

  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.cpu[each.key]
  memory                   = local.memory[each.key]
  execution_role_arn       = aws_iam_role.service["${each.key}-execution"].arn
  task_role_arn            = aws_iam_role.service["${each.key}-task"].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    for_each = local.volumes[each.key]

    content {
      name = volume.key

      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.this.id
        transit_encryption = "ENABLED"

        authorization_config {
          access_point_id = aws_efs_access_point.this[volume.value.access_point].id
          iam             = "ENABLED"
        }
      }
    }
  }

  container_definitions = jsonencode([{
    name         = each.key
    image        = local.images[each.key]
    essential    = true
    command      = local.commands[each.key]
    portMappings = [{ containerPort = local.ports[each.key], protocol = "tcp" }]
    environment  = [for name, value in local.environment[each.key] : { name = name, value = value }]
    secrets      = [for name, reference in local.container_secrets[each.key] : { name = name, valueFrom = reference }]
    mountPoints  = [for name, volume in local.volumes[each.key] : { sourceVolume = name, containerPath = volume.path, readOnly = false }]
    # Mage writes its pipeline files, logs and caches beside its code; MLflow its temporary files.
    readonlyRootFilesystem = false
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = each.key
      }
    }
  }])

  lifecycle {
    precondition {
      condition     = local.images[each.key] != null
      error_message = "${each.key}_image is not set: give the full image URI (-var ${each.key}_image=...)."
    }
  }
}

resource "aws_ecs_service" "this" {
  for_each = local.service_names

  name             = each.key
  cluster          = aws_ecs_cluster.this.id
  task_definition  = aws_ecs_task_definition.this[each.key].arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  # One Mage: its scheduler must not run twice, so a rollout stops the old task first.
  desired_count                      = each.key == "mage" ? 1 : var.mlflow_desired_count
  deployment_minimum_healthy_percent = each.key == "mage" ? 0 : 100
  deployment_maximum_percent         = each.key == "mage" ? 100 : 200
  health_check_grace_period_seconds  = each.key == "mage" ? 300 : 60
  enable_execute_command             = false
  wait_for_steady_state              = true

  network_configuration {
    subnets          = local.private_subnet_ids
    security_groups  = [local.security_group_ids[each.key]]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this[each.key].arn
    container_name   = each.key
    container_port   = local.ports[each.key]
  }

  dynamic "service_registries" {
    for_each = each.key == "mlflow" ? [aws_service_discovery_service.mlflow.arn] : []

    content {
      registry_arn = service_registries.value
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.mlflow, aws_lb_listener.http_forward, aws_lb_listener.https, aws_efs_mount_target.this]
}
