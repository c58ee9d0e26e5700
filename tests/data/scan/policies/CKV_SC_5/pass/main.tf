provider "aws" {
  region = "ap-south-1"
}
