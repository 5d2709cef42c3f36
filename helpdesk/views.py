from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tickets.selectors import TicketFilters, ticket_list


def home(request: HttpRequest) -> HttpResponse:
    context = {}
    if request.user.is_authenticated:
        mine = ticket_list(user=request.user, filters=TicketFilters(owner="me", open_only=True))
        context["my_tickets"] = list(mine.order_by("-number")[:10])
    return render(request, "home.html", context)


def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run`: answers when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
