import factory

from backend_django.plans.models import Plan
from backend_django.users.tests.factories import UserFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Garden {n}")
    latitude = factory.Faker("pyfloat", min_value=-89, max_value=89, right_digits=5)
    longitude = factory.Faker("pyfloat", min_value=-179, max_value=179, right_digits=5)
    address = factory.Faker("address")
    timezone = "Europe/Berlin"
    data = factory.LazyFunction(lambda: {"beds": [{"name": "tomatoes", "width_m": 1.2}]})
