# PostgreSQL for every schema: Multi-AZ, encrypted with the platform's KMS key, point-in-time
# recovery (automated backups), deletion protection, TLS required.

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "PostgreSQL from the application tasks only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_tasks" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the ECS tasks"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_parameter_group" "this" {
  name   = var.name
  family = "postgres${var.engine_major_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  # pg_dump of one practice and DDL across many schemas take a lock per table in one
  # transaction: with thousands of schemas the default (64) runs out.
  parameter {
    name         = "max_locks_per_transaction"
    value        = tostring(var.max_locks_per_transaction)
    apply_method = "pending-reboot"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
  # Statements are not logged: their parameters may carry PHI.
  parameter {
    name  = "log_statement"
    value = "none"
  }
  tags = var.tags
}

# The master password is generated here and lives only in the state and in Secrets Manager
# (inside DATABASE_URL). Keep the state encrypted (the S3 backend with KMS).
resource "random_password" "master" {
  length  = 40
  special = false
}

resource "aws_db_instance" "this" {
  identifier                            = var.name
  engine                                = "postgres"
  engine_version                        = var.engine_version
  instance_class                        = var.instance_class
  allocated_storage                     = var.allocated_storage_gb
  max_allocated_storage                 = var.max_allocated_storage_gb
  storage_type                          = "gp3"
  db_name                               = var.database_name
  username                              = var.master_username
  password                              = random_password.master.result
  port                                  = 5432
  multi_az                              = true
  storage_encrypted                     = true
  kms_key_id                            = var.kms_key_arn
  backup_retention_period               = var.backup_retention_days
  backup_window                         = "03:00-04:00"
  maintenance_window                    = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot                 = true
  deletion_protection                   = true
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${var.name}-final"
  publicly_accessible                   = false
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  vpc_security_group_ids                = [aws_security_group.db.id]
  parameter_group_name                  = aws_db_parameter_group.this.name
  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  enabled_cloudwatch_logs_exports       = ["postgresql"]
  iam_database_authentication_enabled   = true
  tags                                  = var.tags
}
