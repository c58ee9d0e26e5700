resource "aws_db_instance" "app" {
  engine                  = "postgres"
  instance_class          = "db.t4g.medium"
  multi_az                = false
  backup_retention_period = 7
}
