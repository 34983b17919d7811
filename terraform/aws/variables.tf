# Inputs of the module. No secret has a default, and none is an input at all: the database
# password is managed by RDS in Secrets Manager, Mage's owner password is generated into
# Secrets Manager, and an SMTP password is referenced by the ARN of a secret you create.
# Required without a default: aws_region only (the CD workflow and the deploy pipeline pass it).

variable "project_name" {
  description = "Prefix of every resource name (IAM roles, ECR repositories, the cluster...). The deployer IAM policy is scoped to it."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name: 2-21 characters, lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "aws_region" {
  description = "AWS region to deploy to, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

variable "mage_image" {
  description = "Full URI of the Mage image, tag or digest included (e.g. <account>.dkr.ecr.<region>.amazonaws.com/mlops-mage:<git sha>). Null only for a plan or apply that leaves the ECS services out (the deploy pipeline's infrastructure step) and for destroy."
  type        = string
  default     = null

  validation {
    condition     = var.mage_image == null || can(regex("^[^\\s]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.mage_image))
    error_message = "mage_image must be a full image URI with a tag or a digest."
  }
}

variable "mlflow_image" {
  description = "Full URI of the MLflow server image (mlflow.Dockerfile), tag or digest included. Null as for mage_image."
  type        = string
  default     = null

  validation {
    condition     = var.mlflow_image == null || can(regex("^[^\\s]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.mlflow_image))
    error_message = "mlflow_image must be a full image URI with a tag or a digest."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

# -- network ---------------------------------------------------------------------------------

variable "vpc_id" {
  description = "An existing VPC to deploy into. Null: the module creates a VPC with public and private subnets and one NAT gateway."
  type        = string
  default     = null
}

variable "public_subnet_ids" {
  description = "With vpc_id: at least two public subnets (different availability zones) for the load balancer."
  type        = list(string)
  default     = []

  validation {
    condition     = var.vpc_id == null || length(var.public_subnet_ids) >= 2
    error_message = "With vpc_id, give at least two public_subnet_ids."
  }
}

variable "private_subnet_ids" {
  description = "With vpc_id: at least two private subnets with a route to the internet (NAT) for the tasks, the database and EFS."
  type        = list(string)
  default     = []

  validation {
    condition     = var.vpc_id == null || length(var.private_subnet_ids) >= 2
    error_message = "With vpc_id, give at least two private_subnet_ids."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC the module creates (ignored with vpc_id)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Zones of the created VPC's subnets, e.g. [\"eu-west-1a\", \"eu-west-1b\"]. Empty: the region's first availability_zone_count zones by name."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "availability_zones: none (automatic) or at least two."
  }
}

variable "availability_zone_count" {
  description = "Availability zones the created VPC spans when availability_zones is empty (RDS and the load balancer need two)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 4
    error_message = "availability_zone_count must be between 2 and 4."
  }
}

# -- load balancer ---------------------------------------------------------------------------

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on the load balancer (443 for Mage, 5000 for MLflow; port 80 then redirects to 443). Null: plain HTTP on 80 and 5000, for a first try only, since passwords would cross the network in clear."
  type        = string
  default     = null
}

variable "public_hostname" {
  description = "DNS name you point at the load balancer (the certificate's name). Null: the load balancer's own DNS name."
  type        = string
  default     = null
}

variable "allowed_cidr_blocks" {
  description = "Client networks allowed to reach Mage (ports 80/443). Mage asks for a login; narrow this to your offices or VPN where you can."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "mlflow_allowed_cidr_blocks" {
  description = "Client networks allowed to reach the MLflow UI and API on port 5000 of the load balancer. The MLflow server has no login: empty (default) means reachable from Mage inside the VPC only."
  type        = list(string)
  default     = []
}

variable "alb_access_logs_bucket" {
  description = "An existing S3 bucket (SSE-S3, with the bucket policy for ELB log delivery) for the load balancer's access logs. Null: no access logs."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion. The deploy pipeline's teardown (action=destroy) turns it off before destroying."
  type        = bool
  default     = true
}

# -- database --------------------------------------------------------------------------------

variable "db_instance_class" {
  description = "RDS instance class of the PostgreSQL database."
  type        = string
  default     = "db.t4g.small"
}

variable "db_engine_version" {
  description = "PostgreSQL major version (the parameter group family follows it)."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial storage of the database in GiB."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "db_multi_az" {
  description = "Run the database with a standby in a second availability zone (about twice the cost)."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
  default     = 7
}

variable "db_performance_insights" {
  description = "Turn on RDS Performance Insights (not offered on every small instance class)."
  type        = bool
  default     = false
}

variable "db_username" {
  description = "Master user name of the database (its password is generated and rotated by RDS in Secrets Manager)."
  type        = string
  default     = "mlops"
}

# -- containers ------------------------------------------------------------------------------

variable "mage_cpu" {
  description = "Fargate CPU units of the Mage task (1024 = one vCPU)."
  type        = number
  default     = 2048
}

variable "mage_memory" {
  description = "Fargate memory of the Mage task in MiB (training runs in this task)."
  type        = number
  default     = 8192
}

variable "mlflow_cpu" {
  description = "Fargate CPU units of the MLflow server task."
  type        = number
  default     = 512
}

variable "mlflow_memory" {
  description = "Fargate memory of the MLflow server task in MiB."
  type        = number
  default     = 1024
}

variable "mlflow_desired_count" {
  description = "Number of MLflow server tasks (stateless: the database and EFS hold its data)."
  type        = number
  default     = 1
}

variable "default_owner_email" {
  description = "E-mail of Mage's first user; its password is generated into Secrets Manager (output mage_owner_password_secret_arn)."
  type        = string
  default     = "admin@admin.com"
}

variable "mage_environment" {
  description = "Extra plain environment variables of the Mage container, e.g. SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_MAIL_FROM, ALERT_EMAILS, MLOPS_DATA_SOURCE (README: Alerts, Configuration). No secrets here: see smtp_password_secret_arn."
  type        = map(string)
  default     = {}
}

variable "smtp_password_secret_arn" {
  description = "ARN of a Secrets Manager secret (plain string) injected as SMTP_PASSWORD into Mage for e-mail alerts. Null: no SMTP password."
  type        = string
  default     = null
}

variable "ecr_image_tag_mutability" {
  description = "IMMUTABLE (default): a tag is pushed once, so a deployed tag always means the same image; push a new tag (e.g. the git commit) per build."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["IMMUTABLE", "MUTABLE"], var.ecr_image_tag_mutability)
    error_message = "ecr_image_tag_mutability is IMMUTABLE or MUTABLE."
  }
}

variable "ecr_force_delete" {
  description = "Let destroy delete the ECR repositories with their images (the teardown step sets it)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the containers', the database's and the VPC flow logs."
  type        = number
  default     = 365
}
