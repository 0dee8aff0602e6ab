output "identity_arn" {
  description = "ARN of the SES domain identity (the task role may send from it)."
  value       = aws_ses_domain_identity.this.arn
}

output "smtp_host" {
  description = "SES SMTP endpoint for EMAIL_URL (smtp+tls://<user>:<password>@<host>:587)."
  value       = "email-smtp.${var.region}.amazonaws.com"
}
