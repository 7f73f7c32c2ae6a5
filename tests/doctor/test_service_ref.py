"""The Service a trigger URL names, over the space of cluster DNS forms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.doctor.client import service_ref

LABEL = st.from_regex(r"\A[a-z]([a-z0-9-]{0,20}[a-z0-9])?\Z")
PORT = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
PATH = st.sampled_from(["", "/", "/api/v1/cron/cleanup"])


@settings(max_examples=60)
@given(LABEL, LABEL, LABEL, PORT, PATH, st.sampled_from(["http", "https"]))
def test_cluster_dns_forms_name_the_service_and_its_namespace(
    svc: str, ns: str, here: str, port: str, path: str, scheme: str
) -> None:
    for host, expected in (
        (svc, (here, svc)),
        (f"{svc}.{here}", (here, svc)),
        (f"{svc}.{ns}.svc", (ns, svc)),
        (f"{svc}.{ns}.svc.cluster.local", (ns, svc)),
    ):
        assert service_ref(f"{scheme}://{host}{port}{path}", here) == expected


def test_addresses_and_external_names_name_no_service() -> None:
    assert service_ref("http://10.0.0.7:3000/api", "prod") is None
    assert service_ref("https://api.example.com/cron", "prod") is None
    assert service_ref("https://example.com/cron", "prod") is None  # two labels, not this namespace
    assert service_ref("http://[::1]:80/", "prod") is None
    assert service_ref("not a url", "prod") is None
