variable "environment" {
  type        = string
  description = "Environment name; resources are named tandem-<environment>."
  default     = "production"
}

variable "region" {
  type        = string
  description = "AWS region to deploy into."
}

variable "platform_domain" {
  type        = string
  description = "The platform's apex domain (PLATFORM_DOMAIN), e.g. tandemcare.app; practices get <subdomain>.<platform_domain>."
}

variable "route53_zone_id" {
  type        = string
  description = "Id of the Route 53 public hosted zone for platform_domain."
}

variable "image" {
  type        = string
  description = "Application image (infra/Dockerfile) in ECR, pinned by digest, e.g. <account>.dkr.ecr.<region>.amazonaws.com/tandem@sha256:..."
}

variable "cpu_architecture" {
  type        = string
  description = "CPU architecture the image was built for: X86_64 or ARM64."
  default     = "X86_64"
}

variable "uploads_bucket_name" {
  type        = string
  description = "Globally unique name for the uploads bucket."
}

variable "vpc_cidr_block" {
  type        = string
  description = "The VPC's CIDR block."
  default     = "10.40.0.0/16"
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class for PostgreSQL."
  default     = "db.m6g.large"
}

variable "db_backup_retention_days" {
  type        = number
  description = "Point-in-time recovery window in days (automated backups), 1 to 35."
  default     = 14
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type for Redis."
  default     = "cache.m6g.large"
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps application and flow logs."
  default     = 90
}

variable "sentry_dsn" {
  type        = string
  description = "Sentry DSN; empty disables Sentry."
  default     = ""
}

variable "web" {
  type = object({
    cpu                = number
    memory             = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
  })
  description = "Web service size, task count bounds and CPU autoscaling target."
  default = {
    cpu                = 1024
    memory             = 2048
    min_count          = 2
    max_count          = 10
    cpu_target_percent = 60
  }
}

variable "worker" {
  type = object({
    cpu                     = number
    memory                  = number
    min_count               = number
    max_count               = number
    processes               = number
    threads                 = number
    cpu_target_percent      = number
    backlog_per_task_target = number
  })
  description = "Worker service size, bounds, dramatiq processes x threads, and autoscaling targets (CPU, queued messages per task)."
  default = {
    cpu                     = 1024
    memory                  = 2048
    min_count               = 2
    max_count               = 20
    processes               = 2
    threads                 = 4
    cpu_target_percent      = 70
    backlog_per_task_target = 100
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource."
  default     = {}
}
