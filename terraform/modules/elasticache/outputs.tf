output "primary_endpoint" {
  description = "Hostname of the primary node."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "redis_url" {
  description = "REDIS_URL for the application (rediss: TLS, with the AUTH token); stored in Secrets Manager."
  value       = "rediss://:${random_password.auth.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
  sensitive   = true
}
