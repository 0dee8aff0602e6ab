variable "name" {
  type        = string
  description = "Replication group id and prefix of its resources."
}

variable "vpc_id" {
  type        = string
  description = "VPC Redis lives in."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets in two availability zones."
}

variable "client_security_group_id" {
  type        = string
  description = "Security group of the tasks allowed to connect."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting Redis data at rest and its snapshots."
}

variable "engine_version" {
  type        = string
  description = "Redis engine version."
  default     = "7.1"
}

variable "node_type" {
  type        = string
  description = "Cache node type; queues must fit in memory (noeviction refuses writes when full)."
  default     = "cache.m6g.large"
}

variable "snapshot_retention_days" {
  type        = number
  description = "Days of daily snapshots kept."
  default     = 7
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
