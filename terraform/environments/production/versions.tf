terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds generated credentials (database and Redis passwords, SECRET_KEY): keep it in an
  # encrypted, versioned, private bucket with locking. Fill in and uncomment.
  # backend "s3" {
  #   bucket         = "<state bucket>"
  #   key            = "tandem/production.tfstate"
  #   region         = "<region>"
  #   encrypt        = true
  #   kms_key_id     = "<state KMS key ARN>"
  #   dynamodb_table = "<lock table>"
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Application = "tandem"
      Environment = var.environment
    }
  }
}
