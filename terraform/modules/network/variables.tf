variable "name" {
  type        = string
  description = "Name prefix for every network resource, e.g. \"tandem-production\"."
}

variable "region" {
  type        = string
  description = "AWS region the VPC lives in (for the S3 gateway endpoint's service name)."
}

variable "cidr_block" {
  type        = string
  description = "The VPC's IPv4 CIDR block; split into /20s for two public and two private subnets."
  default     = "10.40.0.0/16"
}

variable "log_retention_days" {
  type        = number
  description = "Days VPC flow logs (rejected traffic) are kept in CloudWatch."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the flow-log group."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
