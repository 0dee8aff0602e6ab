variable "name" {
  type        = string
  description = "Environment name: secrets are named tandem/<name>/<VARIABLE>."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key encrypting every secret."
}

variable "database_url" {
  type        = string
  description = "DATABASE_URL, from the rds module."
  sensitive   = true
}

variable "redis_url" {
  type        = string
  description = "REDIS_URL, from the elasticache module."
  sensitive   = true
}

variable "operator_managed_names" {
  type        = list(string)
  description = "Secrets whose values an operator sets outside Terraform (Stripe keys, the SMTP URL, the Web Push key pair)."
  default     = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "EMAIL_URL", "WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_PUBLIC_KEY"]
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every secret."
  default     = {}
}
