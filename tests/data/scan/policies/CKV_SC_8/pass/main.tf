variable "token" {
  type = string
}
resource "railway_service" "api" {
  name = "api"
  environment_variables = {
    API_TOKEN = var.token
    LOG_LEVEL = "info"
  }
}
