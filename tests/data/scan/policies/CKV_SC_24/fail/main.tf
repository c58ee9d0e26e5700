terraform {
  backend "s3" { bucket = "ai-platform-tfstate" }
}

# Failing: the state bucket has no versioning (the uploads bucket has, and does not count).
resource "aws_s3_bucket" "tfstate" {
  bucket = "ai-platform-tfstate"
}

resource "aws_s3_bucket" "uploads" {
  bucket = "ai-platform-uploads"
}

resource "aws_s3_bucket_versioning" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  versioning_configuration { status = "Enabled" }
}
