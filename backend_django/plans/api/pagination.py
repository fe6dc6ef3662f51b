from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PlanPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        """``page_size`` as asked (capped at 200); not a whole number from 1 → 400."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return min(value, self.max_page_size)
