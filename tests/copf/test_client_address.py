import pytest

from copf.lib.client_address import client_address

PEER = "10.0.0.2"


@pytest.mark.parametrize(
    ("forwarded_for", "trusted", "expected"),
    [
        ("203.0.113.5", 0, PEER),
        ("203.0.113.5", 1, "203.0.113.5"),
        ("1.1.1.1, 203.0.113.5", 1, "203.0.113.5"),
        ("1.1.1.1, 203.0.113.5, 10.0.0.1", 2, "203.0.113.5"),
        (" 203.0.113.5 ,", 1, "203.0.113.5"),
        ("2001:db8::1", 1, "2001:db8::1"),
        ("", 1, PEER),
        ("203.0.113.5", 2, PEER),
        ("not-an-address", 1, PEER),
        ("1.1.1.1, unknown", 1, PEER),
    ],
)
def test_reads_the_client_that_many_proxies_from_the_right(forwarded_for, trusted, expected):
    assert client_address(PEER, forwarded_for, trusted_proxies=trusted) == expected
