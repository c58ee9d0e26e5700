resource "railway_service" "api" {
  name = "api"
  environment_variables = {
    API_TOKEN = "tok-123456"
  }
}
