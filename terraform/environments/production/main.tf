# Tandem in one AWS region: VPC over two AZs, ALB with a wildcard certificate for
# *.<platform_domain> and the apex, ECS Fargate (web, worker, scheduler, migrate), RDS
# PostgreSQL, ElastiCache Redis, an uploads bucket, SES, Secrets Manager, CloudWatch logs.

locals {
  name = "tandem-${var.environment}"
  tags = var.tags
}

module "kms" {
  source = "../../modules/kms"
  name   = var.environment
  region = var.region
  tags   = local.tags
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  region             = var.region
  cidr_block         = var.vpc_cidr_block
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.kms.key_arn
  tags               = local.tags
}

module "alb" {
  source            = "../../modules/alb"
  name              = local.name
  platform_domain   = var.platform_domain
  route53_zone_id   = var.route53_zone_id
  vpc_id            = module.network.vpc_id
  vpc_cidr_block    = module.network.vpc_cidr_block
  public_subnet_ids = module.network.public_subnet_ids
  tags              = local.tags
}

module "rds" {
  source                   = "../../modules/rds"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  private_subnet_ids       = module.network.private_subnet_ids
  client_security_group_id = module.ecs.task_security_group_id
  kms_key_arn              = module.kms.key_arn
  instance_class           = var.db_instance_class
  backup_retention_days    = var.db_backup_retention_days
  tags                     = local.tags
}

module "elasticache" {
  source                   = "../../modules/elasticache"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  private_subnet_ids       = module.network.private_subnet_ids
  client_security_group_id = module.ecs.task_security_group_id
  kms_key_arn              = module.kms.key_arn
  node_type                = var.redis_node_type
  tags                     = local.tags
}

module "uploads" {
  source      = "../../modules/s3"
  bucket_name = var.uploads_bucket_name
  kms_key_arn = module.kms.key_arn
  tags        = local.tags
}

module "ses" {
  source          = "../../modules/ses"
  domain          = var.platform_domain
  route53_zone_id = var.route53_zone_id
  region          = var.region
}

module "secrets" {
  source       = "../../modules/secrets"
  name         = var.environment
  kms_key_arn  = module.kms.key_arn
  database_url = module.rds.database_url
  redis_url    = module.elasticache.redis_url
  tags         = local.tags
}

module "ecs" {
  source                 = "../../modules/ecs"
  name                   = local.name
  environment            = var.environment
  region                 = var.region
  image                  = var.image
  cpu_architecture       = var.cpu_architecture
  vpc_id                 = module.network.vpc_id
  private_subnet_ids     = module.network.private_subnet_ids
  alb_security_group_id  = module.alb.security_group_id
  target_group_arn       = module.alb.target_group_arn
  platform_domain        = var.platform_domain
  platform_email_address = "no-reply@${var.platform_domain}"
  secret_arns            = module.secrets.arns
  kms_key_arn            = module.kms.key_arn
  log_retention_days     = var.log_retention_days
  uploads_bucket_name    = module.uploads.bucket_name
  uploads_bucket_arn     = module.uploads.bucket_arn
  ses_identity_arn       = module.ses.identity_arn
  sentry_dsn             = var.sentry_dsn
  web                    = var.web
  worker                 = var.worker
  tags                   = local.tags
}
