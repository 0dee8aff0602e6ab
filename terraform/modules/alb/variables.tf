variable "name" {
  type        = string
  description = "Name of the load balancer and prefix of its resources (32 characters at most)."
}

variable "platform_domain" {
  type        = string
  description = "The platform's apex domain (PLATFORM_DOMAIN); practices live on its subdomains."
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone that holds platform_domain."
}

variable "vpc_id" {
  type        = string
  description = "VPC the load balancer and its target group live in."
}

variable "vpc_cidr_block" {
  type        = string
  description = "The VPC's CIDR block: the load balancer may only reach targets inside it."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets, one per availability zone."
}

variable "target_port" {
  type        = number
  description = "Port gunicorn listens on in the web tasks."
  default     = 8000
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
