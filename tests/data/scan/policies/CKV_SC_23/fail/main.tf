provider "aws" {
  region = "ap-south-1"
}

# Failing: no CloudWatch alarm at all.
resource "aws_sns_topic" "pager" {
  name              = "pager"
  kms_master_key_id = "alias/aws/sns"
}
