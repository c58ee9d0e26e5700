# Failing: versioning of the state bucket (named by its bucket name here) is suspended.
resource "aws_s3_bucket_versioning" "state" {
  bucket = "ai-platform-tfstate"
  versioning_configuration { status = "Suspended" }
}

resource "aws_s3_bucket" "state" {
  bucket = "ai-platform-tfstate"
}

terraform {
  backend "s3" { bucket = "ai-platform-tfstate" }
}
