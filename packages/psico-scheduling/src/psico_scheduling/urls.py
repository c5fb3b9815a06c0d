app_name = "psico_scheduling"

urlpatterns: list = []
