output "platform_url" {
  description = "The control plane's URL; practices are https://<subdomain>.<platform_domain>/."
  value       = "https://${var.platform_domain}/"
}

output "load_balancer_dns_name" {
  description = "The ALB's DNS name (the apex and wildcard records alias it)."
  value       = module.alb.dns_name
}

output "ecs_cluster_name" {
  description = "ECS cluster running web, worker and scheduler."
  value       = module.ecs.cluster_name
}

output "ecs_service_names" {
  description = "ECS service names by process (update these with the new image after migrating)."
  value       = module.ecs.service_names
}

output "migrate_task_definition_arn" {
  description = "One-off migrate task (manage.py migrate_platform --parallel N); run it before rolling services."
  value       = module.ecs.migrate_task_definition_arn
}

output "migrate_network_configuration" {
  description = "Subnets and security group for `aws ecs run-task` of the migrate task."
  value = {
    subnets         = module.network.private_subnet_ids
    security_groups = [module.ecs.task_security_group_id]
  }
}

output "secret_arns" {
  description = "Secrets Manager ARNs by variable; set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, EMAIL_URL and the WEBPUSH_VAPID_* pair before the first deploy."
  value       = module.secrets.arns
}

output "uploads_bucket_name" {
  description = "AWS_STORAGE_BUCKET_NAME for the application."
  value       = module.uploads.bucket_name
}

output "database_endpoint" {
  description = "PostgreSQL host (the full DATABASE_URL is only in Secrets Manager)."
  value       = module.rds.address
}

output "redis_endpoint" {
  description = "Redis primary endpoint (the full REDIS_URL is only in Secrets Manager)."
  value       = module.elasticache.primary_endpoint
}

output "ses_smtp_host" {
  description = "SES SMTP host for EMAIL_URL."
  value       = module.ses.smtp_host
}

output "log_group_names" {
  description = "CloudWatch log groups by process."
  value       = module.ecs.log_group_names
}

output "queue_depth_metric" {
  description = "The CloudWatch metric the worker service scales on (published by the scheduler task's queue-metrics sidecar)."
  value       = "Tandem/Queues QueueDepth {Environment=${var.environment}, Queue=all}"
}
