import pytest
import time_machine
from django.core.cache import cache

from .support import NOW


@pytest.fixture(autouse=True)
def clock():
    """Frozen on a Monday in January 2027, whatever today is."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def empty_caches(request):
    """The cache lives in the database: only tests that use it can have filled it."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    cache.clear()
    yield
    cache.clear()
