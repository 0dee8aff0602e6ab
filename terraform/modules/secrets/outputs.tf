output "arns" {
  description = "Secret ARN by environment variable name, for the ECS task definitions' `secrets`."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}
