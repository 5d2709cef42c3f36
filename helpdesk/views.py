from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Staff go to their queue; everyone else to the login page."""
    return redirect("queue" if request.user.is_authenticated else "login")


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run`: answers when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
