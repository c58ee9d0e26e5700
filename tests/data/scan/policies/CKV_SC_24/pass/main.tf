terraform {
  backend "s3" { bucket = "ai-platform-tfstate" }
}

# Passing: the bucket the backend names is versioned.
resource "aws_s3_bucket" "tfstate" {
  bucket = "ai-platform-tfstate"
}

resource "aws_s3_bucket_versioning" "tfstate" {
  bucket = aws_s3_bucket.tfstate.id
  versioning_configuration {
    status = "Enabled"
  }
}
