provider "aws" {
  region = "ap-south-1"
}

# Failing (promise: alb_5xx): the 5xx alarm notifies nobody, alarm_actions is empty.
resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name    = "alb-5xx-surge"
  namespace     = "AWS/ApplicationELB"
  metric_name   = "HTTPCode_Target_5XX_Count"
  threshold     = 10
  alarm_actions = []
}
