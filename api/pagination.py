from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    """`?page=` without a number is a client bug: say so instead of silently serving page 1."""

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param, None) == "":
            raise exceptions.ValidationError({self.page_query_param: ["Give a page number."]})
        return super().get_page_number(request, paginator)
