# The application's secrets in Secrets Manager, encrypted with the platform's KMS key and
# injected into the tasks by ECS (never in task definitions, images or variables).
#
# Generated here (value set by Terraform): SECRET_KEY, DATABASE_URL, REDIS_URL.
# Set by an operator (Terraform creates only the container, never the value):
# STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, EMAIL_URL (SES SMTP credentials) and the Web Push
# pair WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY (see docs/deployment.md), before the
# first deploy (a task cannot start while a secret it names has no value), e.g.
#   aws secretsmanager put-secret-value --secret-id tandem/production/STRIPE_SECRET_KEY \
#     --secret-string "$(read -rs v; echo "$v")"

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

locals {
  generated = {
    SECRET_KEY   = random_password.secret_key.result
    DATABASE_URL = var.database_url
    REDIS_URL    = var.redis_url
  }
  generated_names = ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"]
  names           = concat(local.generated_names, var.operator_managed_names)
}

resource "aws_secretsmanager_secret" "this" {
  for_each                = toset(local.names)
  name                    = "tandem/${var.name}/${each.key}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each      = toset(local.generated_names)
  secret_id     = aws_secretsmanager_secret.this[each.key].id
  secret_string = local.generated[each.key]
}
