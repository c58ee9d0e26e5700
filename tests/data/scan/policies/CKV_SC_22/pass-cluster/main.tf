resource "aws_rds_cluster" "app" {
  engine                  = "aurora-postgresql"
  backup_retention_period = 14
}
