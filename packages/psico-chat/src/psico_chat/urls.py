app_name = "psico_chat"

urlpatterns: list = []
