variable "name" {
  type        = string
  description = "Identifier of the database instance and prefix of its resources."
}

variable "vpc_id" {
  type        = string
  description = "VPC the database lives in."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets in two availability zones (Multi-AZ)."
}

variable "client_security_group_id" {
  type        = string
  description = "Security group of the tasks allowed to connect (web, worker, scheduler, migrate)."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting storage, snapshots and Performance Insights."
}

variable "engine_major_version" {
  type        = string
  description = "PostgreSQL major version, for the parameter group family."
  default     = "16"
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL engine version."
  default     = "16.4"
}

variable "instance_class" {
  type        = string
  description = "RDS instance class. Size max_connections for web + workers + migrate (docs/deployment.md)."
  default     = "db.m6g.large"
}

variable "allocated_storage_gb" {
  type        = number
  description = "Initial storage in GiB."
  default     = 100
}

variable "max_allocated_storage_gb" {
  type        = number
  description = "Storage autoscaling ceiling in GiB."
  default     = 1000
}

variable "database_name" {
  type        = string
  description = "Database holding the public schema, the template and every practice schema."
  default     = "tandem"
}

variable "master_username" {
  type        = string
  description = "Master user name (its password is generated and kept in Secrets Manager)."
  default     = "tandem"
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups, i.e. the point-in-time recovery window (1 to 35)."
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "Point-in-time recovery needs backup_retention_days between 1 and 35."
  }
}

variable "max_locks_per_transaction" {
  type        = number
  description = "PostgreSQL max_locks_per_transaction; per-practice pg_dump and cross-schema DDL need many."
  default     = 1024
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
