variable "bucket_name" {
  type        = string
  description = "Globally unique name of the uploads bucket."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for SSE-KMS on every object."
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days an overwritten or deleted object's previous version is kept (recovery window)."
  default     = 90
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
