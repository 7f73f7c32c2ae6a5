"""A real S3 endpoint for tests: moto's server mode on loopback (port 0), one per xdist worker.

``s3_server`` (session) starts it; ``s3_bucket`` (function) points the standard AWS variables at it
(``AWS_ENDPOINT_URL``, dummy credentials, region — restored afterwards), creates a fresh bucket and
yields its ``s3://`` URL. Code under test uses plain ``boto3.client("s3")`` / fsspec, unchanged.

Import both fixtures into a test module: ``from tests.service.s3_server import s3_bucket, s3_server``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket on the moto server; the AWS environment points at it for this test only."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    for k, v in AWS_ENV.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(k, raising=False)
    bucket = f"kt-{uuid.uuid4().hex[:20]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    yield f"s3://{bucket}"


def s3_keys(url: str) -> list[str]:
    """Every key in the bucket of ``url`` (through boto3, with the test environment)."""
    import boto3

    bucket = url.removeprefix("s3://").split("/", 1)[0]
    client = boto3.client("s3")
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)
