# ECS Fargate: one image, four task definitions (web, worker, scheduler, migrate), three
# services. Web and workers scale horizontally; the scheduler is exactly one task (its Redis
# lock also stops a second one from enqueuing during a deployment overlap); migrate is a
# one-off task the deployment runs before rolling the services.
#
# Every container runs as the image's non-root user (10001) with a read-only root filesystem;
# /tmp is a task-local volume, gunicorn's heartbeat lives in /dev/shm.

locals {
  processes = ["web", "worker", "scheduler", "migrate"]

  environment = [
    for key, value in merge({
      DJANGO_SETTINGS_MODULE  = "config.settings.production"
      PLATFORM_DOMAIN         = var.platform_domain
      PLATFORM_EMAIL_ADDRESS  = var.platform_email_address
      WEBPUSH_VAPID_SUBJECT   = "mailto:${var.platform_email_address}"
      AWS_STORAGE_BUCKET_NAME = var.uploads_bucket_name
      AWS_S3_REGION_NAME      = var.region
      SENTRY_DSN              = var.sentry_dsn
      SENTRY_ENVIRONMENT      = var.environment
      CONN_MAX_AGE            = tostring(var.conn_max_age)
      TANDEM_ENVIRONMENT      = var.environment
    }, var.extra_environment) : { name = key, value = value }
  ]

  secrets = [for key, arn in var.secret_arns : { name = key, valueFrom = arn }]

  container_base = {
    image                  = var.image
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    environment            = local.environment
    secrets                = local.secrets
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters        = { initProcessEnabled = true }
    stopTimeout            = 60
  }

  redis_ping = ["CMD", "python", "-c", "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_timeout=3).ping()"]

  commands = {
    web       = ["gunicorn", "config.wsgi:application", "--config", "infra/gunicorn.conf.py"]
    worker    = ["dramatiq", "config.worker", "--processes", tostring(var.worker.processes), "--threads", tostring(var.worker.threads)]
    scheduler = ["python", "manage.py", "run_scheduler"]
    migrate   = ["sh", "infra/scripts/migrate.sh"]
  }

  health_checks = {
    web = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    worker    = { command = local.redis_ping, interval = 30, timeout = 5, retries = 3, startPeriod = 30 }
    scheduler = { command = local.redis_ping, interval = 30, timeout = 5, retries = 3, startPeriod = 30 }
  }

  sizes = {
    web       = { cpu = var.web.cpu, memory = var.web.memory }
    worker    = { cpu = var.worker.cpu, memory = var.worker.memory }
    scheduler = { cpu = var.scheduler.cpu, memory = var.scheduler.memory }
    migrate   = { cpu = var.migrate.cpu, memory = var.migrate.memory }
  }

  queue_metrics_sidecar = merge(local.container_base, {
    name        = "queue-metrics"
    essential   = false
    command     = ["python", "infra/scripts/publish_queue_depth.py"]
    environment = concat(local.environment, [{ name = "QUEUE_METRIC_PERIOD", value = "60" }])
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.process["scheduler"].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "queue-metrics"
      }
    }
  })

  process_environment = {
    migrate = [{ name = "MIGRATE_PARALLEL", value = tostring(var.migrate.parallel) }]
  }
  port_mappings = {
    web = [{ containerPort = 8000, protocol = "tcp" }]
  }

  containers = {
    for process in local.processes : process => merge(
      local.container_base,
      {
        name         = process
        command      = local.commands[process]
        environment  = concat(local.environment, try(local.process_environment[process], []))
        portMappings = try(local.port_mappings[process], [])
        logConfiguration = {
          logDriver = "awslogs"
          options = {
            awslogs-group         = aws_cloudwatch_log_group.process[process].name
            awslogs-region        = var.region
            awslogs-stream-prefix = process
          }
        }
      },
      # The migrate task has no health check: it runs once and exits.
      { for key, check in local.health_checks : "healthCheck" => check if key == process },
    )
  }

  # The scheduler's task also runs the queue-depth publisher the worker service scales on.
  task_containers = {
    web       = [local.containers["web"]]
    worker    = [local.containers["worker"]]
    scheduler = [local.containers["scheduler"], local.queue_metrics_sidecar]
    migrate   = [local.containers["migrate"]]
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "process" {
  for_each          = toset(local.processes)
  name              = "/tandem/${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Tandem tasks: web from the load balancer; all egress (Stripe, SES, AWS APIs)"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "web_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "gunicorn from the load balancer"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.tasks.id
  description       = "Database, Redis, and HTTPS to AWS APIs, Stripe and SES"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

# --- IAM -------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The execution role pulls the image, writes logs and reads the secrets it injects.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.secret_arns)
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# The task role is what the application itself may do.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "Uploads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
    resources = [var.uploads_bucket_arn, "${var.uploads_bucket_arn}/*"]
  }
  statement {
    sid       = "UploadsKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Email"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [var.ses_identity_arn]
  }
  statement {
    sid       = "QueueDepthMetric"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Tandem/Queues"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "tandem-app"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- Task definitions ------------------------------------------------------------------------

resource "aws_ecs_task_definition" "process" {
  for_each                 = toset(local.processes)
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = local.sizes[each.key].cpu
  memory                   = local.sizes[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(local.task_containers[each.key])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }
  tags = var.tags
}

# --- Services --------------------------------------------------------------------------------

resource "aws_ecs_service" "web" {
  name                               = "web"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["web"].arn
  desired_count                      = var.web.min_count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "web"
    container_port   = 8000
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
  tags = var.tags
}

resource "aws_ecs_service" "worker" {
  name                               = "worker"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["worker"].arn
  desired_count                      = var.worker.min_count
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
  tags = var.tags
}

# Exactly one: a deployment stops the old task before starting the new one (0% / 100%), and
# the Redis lock covers the moment two might overlap. Never autoscaled.
resource "aws_ecs_service" "scheduler" {
  name                               = "scheduler"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.process["scheduler"].arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  tags = var.tags
}

# --- Autoscaling -----------------------------------------------------------------------------

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web.min_count
  max_capacity       = var.web.max_count
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  policy_type        = "TargetTrackingScaling"

  target_tracking_scaling_policy_configuration {
    target_value       = var.web.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker.min_count
  max_capacity       = var.worker.max_count
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name}-worker-cpu"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  policy_type        = "TargetTrackingScaling"

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Backlog per worker task: Tandem/Queues QueueDepth (Queue=all, published by the scheduler
# task's queue-metrics sidecar) divided by the worker service's running task count.
resource "aws_appautoscaling_policy" "worker_queue_depth" {
  name               = "${var.name}-worker-queue-depth"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  policy_type        = "TargetTrackingScaling"

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker.backlog_per_task_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    customized_metric_specification {
      metrics {
        id          = "depth"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "Tandem/Queues"
            metric_name = "QueueDepth"
            dimensions {
              name  = "Environment"
              value = var.environment
            }
            dimensions {
              name  = "Queue"
              value = "all"
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker.name
            }
          }
        }
      }
      metrics {
        id          = "backlog"
        label       = "Queued messages per worker task"
        expression  = "IF(tasks > 0, depth / tasks, depth)"
        return_data = true
      }
    }
  }
}
