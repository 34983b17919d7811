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
  description = "ACM certificate for HTTPS on the load balancer: Mage on 443 and MLflow on 5000 with a TLS 1.3/1.2 policy, port 80 only redirects to 443. Null: plain HTTP on 80 and 5000, refused while a client network is the whole internet unless allow_public_http says so (logins would cross the internet in clear). The deploy pipeline and the CD workflow pass it from CERTIFICATE_ARN on every run; empty (\"\", the CD workflow's value while CERTIFICATE_ARN is unset) is the same as null."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-zA-Z-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) in the load balancer's region, or null (or empty) for none."
  }
}

variable "public_hostname" {
  description = "DNS name you point at the load balancer (the certificate's name). Null: the load balancer's own DNS name."
  type        = string
  default     = null
}

variable "allowed_cidr_blocks" {
  description = "Client networks (CIDRs, IPv4 or IPv6) allowed to reach Mage on the load balancer (port 443, and 80 which then only redirects; 80 alone without a certificate): the only ingress of its security group. Narrow it to your offices or VPN. The default, the whole internet, needs certificate_arn (or allow_public_http)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = alltrue([for cidr in var.allowed_cidr_blocks : can(cidrhost(cidr, 0)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "allowed_cidr_blocks: each entry must be a network in CIDR notation with no host bits set, e.g. 203.0.113.0/24 or 2001:db8::/32."
  }
}

variable "mlflow_allowed_cidr_blocks" {
  description = "Client networks (CIDRs) allowed to reach the MLflow UI and API on port 5000 of the load balancer, which ask for MLflow's login (basic authentication). Empty (default): MLflow is reachable from Mage inside the VPC only."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for cidr in var.mlflow_allowed_cidr_blocks : can(cidrhost(cidr, 0)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "mlflow_allowed_cidr_blocks: each entry must be a network in CIDR notation with no host bits set, e.g. 203.0.113.0/24 or 2001:db8::/32."
  }
}

# Secure by default (issue #30): no plan serves plain HTTP to the whole internet by accident.
variable "allow_public_http" {
  description = "Accept plain HTTP (no certificate_arn) while allowed_cidr_blocks or mlflow_allowed_cidr_blocks holds the whole internet (a /0: 0.0.0.0/0 or ::/0), on purpose, e.g. for a first try without a domain: Mage's and MLflow's logins then cross the internet in clear. False (default): such a plan fails."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition = (
      var.allow_public_http
      || (var.certificate_arn != null && var.certificate_arn != "")
      || length([for cidr in concat(var.allowed_cidr_blocks, var.mlflow_allowed_cidr_blocks) : cidr if endswith(cidr, "/0")]) == 0
    )
    error_message = "Refusing plain HTTP open to the whole internet: certificate_arn is not set and allowed_cidr_blocks or mlflow_allowed_cidr_blocks holds a /0 (0.0.0.0/0 or ::/0), so Mage's and MLflow's passwords would cross the internet in clear. Set certificate_arn (an ACM certificate: HTTPS, port 80 only redirects), or narrow allowed_cidr_blocks and mlflow_allowed_cidr_blocks to your networks, or set allow_public_http = true to accept it on purpose. The deploy pipeline and the CD workflow take them from CERTIFICATE_ARN, ALLOWED_CIDR_BLOCKS, MLFLOW_ALLOWED_CIDR_BLOCKS and ALLOW_PUBLIC_HTTP."
  }
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
  description = "Extra plain environment variables of the Mage container, e.g. SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_MAIL_FROM, ALERT_EMAILS, MLOPS_DATA_SOURCE (docs/monitoring-and-alerts.md, docs/configuration.md). No secrets here: see smtp_password_secret_arn."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.mage_environment), ["PGPASSWORD", "DEFAULT_OWNER_PASSWORD", "SMTP_PASSWORD", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"])) == 0
    error_message = "mage_environment must not set PGPASSWORD, DEFAULT_OWNER_PASSWORD, SMTP_PASSWORD, MLFLOW_TRACKING_USERNAME or MLFLOW_TRACKING_PASSWORD: the module injects them from Secrets Manager (smtp_password_secret_arn for SMTP)."
  }
}

variable "mlflow_username" {
  description = "The MLflow server's admin user (basic authentication). Its password is generated into Secrets Manager with it (output mlflow_credentials_secret_arn); both tasks get them as MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[A-Za-z0-9._@-]{1,64}$", var.mlflow_username))
    error_message = "mlflow_username: 1-64 letters, digits and . _ @ - (no colon: it is an HTTP basic-auth user name)."
  }
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
