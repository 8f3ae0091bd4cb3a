import pytest
import time_machine

from .support import NOW


@pytest.fixture(autouse=True)
def clock():
    """Frozen a week before CoP-F East of 11 January 2027, whatever today is."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
