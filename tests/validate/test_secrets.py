"""plaintext-secret: specific enough to stay quiet on ordinary values, and never echoes the value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.chart import load_chart
from kaireon_chart.checks.secrets import scan

CHART = load_chart()


def test_chart_defaults_are_clean():
    assert list(scan(CHART.values)) == []


SECRET_VALUES = {
    "bearer": "Bearer abcdefghijklmnop",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIB...",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_" + "a1" * 18,
    "slack": "xoxb-123456789012-abcdefghij",
    "url": "https://user:hunter2@api.example.com/x",
}


@pytest.mark.parametrize("name", sorted(SECRET_VALUES))
def test_value_shapes_are_found_under_any_key(name):
    secret = SECRET_VALUES[name]
    values = {"cron": {"schedules": {"x": {"note": secret}}}}
    [(path, message)] = list(scan(values))
    assert path == "cron.schedules.x.note"
    assert secret not in message and "value is not shown" in message


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "dbPassword",
        "token",
        "apiKey",
        "api_key",
        "clientSecret",
        "privateKey",
        "accessKey",
        "bearer",
        "credentials",
        "secret",
    ],
)
def test_sensitive_keys_with_literals(key):
    [(path, message)] = list(scan({"cron": {key: "literal-value"}}))
    assert path == f"cron.{key}" and "literal-value" not in message


@pytest.mark.parametrize(
    "key",
    [
        "secretName",
        "tokenPath",
        "passwordFile",
        "secretRef",
        "tokenUrl",
        "key",
        "name",
        "apiKeySecretName",
        "passwordEnv",
    ],
)
def test_keys_that_name_a_secret_are_not_secrets(key):
    assert list(scan({"cron": {key: "api-secrets"}})) == []


def test_placeholders_and_non_strings_are_ignored():
    assert (
        list(
            scan(
                {
                    "cron": {
                        "token": "${CRON_TOKEN}",
                        "password": "",
                        "secret": {"name": "x", "key": "y"},
                        "apiKey": 123,
                    }
                }
            )
        )
        == []
    )


def test_api_env():
    values = {
        "api": {
            "env": [
                {"name": "DATABASE_PASSWORD", "value": "hunter2"},
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "DATABASE_URL", "value": "postgresql://app:pw@db/app"},
                {"name": "CRON_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ]
        }
    }
    assert [p for p, _ in scan(values)] == ["api.env[0].value", "api.env[2].value"]


_benign_text = st.one_of(
    st.sampled_from(
        [
            "*/5 * * * *",
            "0 3 * * *",
            "@daily",
            "Europe/Berlin",
            "UTC",
            "/api/v1/cron/dsar-purge",
            "curlimages/curl",
            "8.11.1",
            "api-secrets",
            "CRON_SECRET",
            "Forbid",
            "100m",
            "64Mi",
            "https://api.internal.example.com:8443/base",
            "http://kaireon.default.svc.cluster.local:3000",
        ]
    ),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
)
_benign_keys = st.sampled_from(
    [
        "schedule",
        "path",
        "timeZone",
        "image",
        "repository",
        "tag",
        "name",
        "key",
        "apiUrl",
        "concurrencyPolicy",
        "memory",
        "cpu",
        "secretName",
        "note",
    ]
)
_benign = st.recursive(
    st.one_of(_benign_text, st.integers(), st.booleans()),
    lambda inner: st.dictionaries(_benign_keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(tree=st.dictionaries(_benign_keys, _benign, max_size=5))
def test_no_false_positives_on_ordinary_values(tree):
    assert list(scan({"cron": tree})) == []
