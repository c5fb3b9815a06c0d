app_name = "psico_accounts"

urlpatterns: list = []
