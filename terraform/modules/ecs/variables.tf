variable "name" {
  type        = string
  description = "Cluster name and prefix of every ECS/IAM resource."
}

variable "environment" {
  type        = string
  description = "Environment name (log group paths, the queue-depth metric's Environment dimension)."
}

variable "region" {
  type        = string
  description = "AWS region (awslogs driver)."
}

variable "image" {
  type        = string
  description = "Container image built from infra/Dockerfile, pinned by digest or immutable tag."
}

variable "cpu_architecture" {
  type        = string
  description = "Fargate CPU architecture matching the image: X86_64 or ARM64."
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC the tasks run in."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets (two AZs) the tasks run in."
}

variable "alb_security_group_id" {
  type        = string
  description = "The load balancer's security group: the only source allowed to reach gunicorn."
}

variable "target_group_arn" {
  type        = string
  description = "ALB target group the web service registers in."
}

variable "platform_domain" {
  type        = string
  description = "PLATFORM_DOMAIN: the control plane's host; practices live on its subdomains."
}

variable "platform_email_address" {
  type        = string
  description = "PLATFORM_EMAIL_ADDRESS: the address every email is sent from."
}

variable "secret_arns" {
  type        = map(string)
  description = "Environment variable name => Secrets Manager ARN, injected into every container."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the secrets, the uploads bucket and the log groups."
}

variable "log_retention_days" {
  type        = number
  description = "Days each process's CloudWatch log group keeps its logs."
}

variable "uploads_bucket_name" {
  type        = string
  description = "Uploads bucket (AWS_STORAGE_BUCKET_NAME)."
}

variable "uploads_bucket_arn" {
  type        = string
  description = "Uploads bucket ARN, for the task role."
}

variable "ses_identity_arn" {
  type        = string
  description = "SES domain identity the task role may send from."
}

variable "sentry_dsn" {
  type        = string
  description = "SENTRY_DSN (not a secret: it only lets a client submit events). Empty disables Sentry."
  default     = ""
}

variable "conn_max_age" {
  type        = number
  description = "CONN_MAX_AGE: seconds a database connection is reused before it is recycled."
  default     = 60
}

variable "extra_environment" {
  type        = map(string)
  description = "Further non-secret environment variables for every container (docs/deployment.md)."
  default     = {}
}

variable "web" {
  type = object({
    cpu                = number
    memory             = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
  })
  description = "Web service: task size (Fargate CPU units / MiB), task count bounds, CPU target for autoscaling."
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
  description = "Worker service: task size, count bounds, dramatiq processes x threads per task, CPU target and queued messages per task target for autoscaling."
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

variable "scheduler" {
  type = object({
    cpu    = number
    memory = number
  })
  description = "Scheduler task size (exactly one task; it only enqueues)."
  default = {
    cpu    = 256
    memory = 512
  }
}

variable "migrate" {
  type = object({
    cpu      = number
    memory   = number
    parallel = number
  })
  description = "One-off migrate task: size, and how many practice schemas it migrates at once (one connection each)."
  default = {
    cpu      = 1024
    memory   = 2048
    parallel = 4
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
