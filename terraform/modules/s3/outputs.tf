output "bucket_name" {
  description = "Uploads bucket name (AWS_STORAGE_BUCKET_NAME)."
  value       = aws_s3_bucket.uploads.id
}

output "bucket_arn" {
  description = "Uploads bucket ARN (for the task role's policy)."
  value       = aws_s3_bucket.uploads.arn
}
