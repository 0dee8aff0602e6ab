output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "task_security_group_id" {
  description = "Security group of every task (the database and Redis accept connections from it)."
  value       = aws_security_group.tasks.id
}

output "migrate_task_definition_arn" {
  description = "Run once per release before updating the services: aws ecs run-task --task-definition <this>."
  value       = aws_ecs_task_definition.process["migrate"].arn
}

output "service_names" {
  description = "ECS service names by process."
  value = {
    web       = aws_ecs_service.web.name
    worker    = aws_ecs_service.worker.name
    scheduler = aws_ecs_service.scheduler.name
  }
}

output "log_group_names" {
  description = "CloudWatch log group by process."
  value       = { for process, group in aws_cloudwatch_log_group.process : process => group.name }
}
