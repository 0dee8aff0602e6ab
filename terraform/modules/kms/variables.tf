variable "name" {
  type        = string
  description = "Environment name, used in the key's alias (alias/tandem-<name>)."
}

variable "region" {
  type        = string
  description = "AWS region, so CloudWatch Logs in this region may use the key."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the key."
  default     = {}
}
