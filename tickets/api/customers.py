from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import selectors, services
from tickets.api import serializers as s
from tickets.api.common import CustomerCursor, validated


class CustomerListApi(APIView):
    pagination_class = CustomerCursor

    @extend_schema(
        parameters=[s.CustomerSearchSerializer],
        responses=s.CustomerRowSerializer(many=True),
        summary="Search customers by name or any identity",
    )
    def get(self, request: Request) -> Response:
        query = {k: v for k, v in request.query_params.items() if k not in ("format", "page_size")}
        params = validated(s.CustomerSearchSerializer, query)
        customers = selectors.customer_list(user=request.user, text=params.get("q", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(customers, request, view=self)
        return paginator.get_paginated_response(s.CustomerRowSerializer(page, many=True).data)


class CustomerDetailApi(APIView):
    @extend_schema(
        responses=s.CustomerFullSerializer,
        summary="A customer with identities and every ticket on every channel",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = selectors.customer_get(user=request.user, customer_id=customer_id)
        return Response(s.CustomerFullSerializer(customer).data)

    @extend_schema(
        request=s.CustomerUpdateSerializer,
        responses=s.CustomerFullSerializer,
        summary="Change a customer's name, language or notes",
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        data = validated(s.CustomerUpdateSerializer, request.data)
        customer = selectors.customer_get(user=request.user, customer_id=customer_id)
        services.customer_update(customer=customer, by=request.user, **data)
        return self.get(request, customer_id)


class CustomerIdentityApi(APIView):
    @extend_schema(
        request=s.IdentityAddSerializer,
        responses={201: s.CustomerFullSerializer},
        summary="Add an identity (an email, a phone...) to a customer",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        data = validated(s.IdentityAddSerializer, request.data)
        customer = selectors.customer_get(user=request.user, customer_id=customer_id)
        services.identity_add(customer=customer, by=request.user, **data)
        fresh = selectors.customer_get(user=request.user, customer_id=customer_id)
        return Response(s.CustomerFullSerializer(fresh).data, status=201)


class CustomerMergeApi(APIView):
    @extend_schema(
        request=s.CustomerMergeSerializer,
        responses=s.CustomerFullSerializer,
        summary="Merge this customer into another; answers with the one kept",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        data = validated(s.CustomerMergeSerializer, request.data)
        source = selectors.customer_get(user=request.user, customer_id=customer_id)
        into = selectors.customer_get(user=request.user, customer_id=data["into"])
        services.customer_merge(source=source, into=into, by=request.user)
        kept = selectors.customer_get(user=request.user, customer_id=into.pk)
        return Response(s.CustomerFullSerializer(kept).data)
