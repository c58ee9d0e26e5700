# Not judged: the state bucket lives outside this Terraform; the one bucket here is another.
terraform {
  backend "s3" {
    bucket = "ai-platform-tfstate"
    key    = "prod/terraform.tfstate"
    region = "ap-south-1"
  }
}

resource "aws_s3_bucket" "uploads" {
  bucket = "ai-platform-uploads"
}
