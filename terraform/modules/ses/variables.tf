variable "domain" {
  type        = string
  description = "Domain mail is sent from (the platform's domain)."
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone holding the domain, for the verification and DKIM records."
}

variable "region" {
  type        = string
  description = "AWS region of the SES identity (for the MAIL FROM MX record)."
}
