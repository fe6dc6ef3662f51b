from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` that always ends with the primary key, so pages never
    repeat or skip plans that tie on the chosen field (same name, same time)."""

    ordering_description = (
        "Sort by name, created_at, updated_at, latitude or longitude; prefix with - for "
        "descending (default -updated_at)."
    )

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        if not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            ordering = [*ordering, "-id" if ordering[-1].startswith("-") else "id"]
        return ordering
