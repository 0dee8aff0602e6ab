output "target_group_arn" {
  description = "Target group the web service registers its tasks in."
  value       = aws_lb_target_group.web.arn
}

output "security_group_id" {
  description = "The load balancer's security group (the web tasks accept traffic from it)."
  value       = aws_security_group.alb.id
}

output "dns_name" {
  description = "The load balancer's DNS name."
  value       = aws_lb.this.dns_name
}

output "certificate_arn" {
  description = "The validated wildcard certificate."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "https_listener_arn" {
  description = "The HTTPS listener (depends_on for services, so they register after it exists)."
  value       = aws_lb_listener.https.arn
}
