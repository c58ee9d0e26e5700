# Passing: the state bucket is versioned inline (AWS provider v3 style).
resource "aws_s3_bucket" "state" {
  bucket = "ai-platform-state"
  versioning {
    enabled = true
  }
}

terraform {
  required_version = ">= 1.5"
  backend "s3" {
    bucket = "ai-platform-state"
    key    = "prod/terraform.tfstate"
  }
}
