"""A local Kubernetes API server for doctor's tests: list/get/create over planted objects, real shapes.

Bound to 127.0.0.1 port 0. Every planted or created object is validated against the Kubernetes
OpenAPI schema kubernetes-validate bundles. Secrets are served only as PartialObjectMetadata (a
request that does not ask for that gets 406), so a test fails if doctor ever asks for a Secret's data.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import yaml
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

KUBE_VERSION = "1.33"
TOKEN = "doctor-test-token"
# plural -> (kind, group/version prefix)
KINDS = {
    "cronjobs": ("CronJob", "/apis/batch/v1"),
    "jobs": ("Job", "/apis/batch/v1"),
    "pods": ("Pod", "/api/v1"),
    "events": ("Event", "/api/v1"),
    "services": ("Service", "/api/v1"),
    "endpoints": ("Endpoints", "/api/v1"),
    "secrets": ("Secret", "/api/v1"),
    "endpointslices": ("EndpointSlice", "/apis/discovery.k8s.io/v1"),
}
API_VERSION = {
    "/apis/batch/v1": "batch/v1",
    "/api/v1": "v1",
    "/apis/discovery.k8s.io/v1": "discovery.k8s.io/v1",
}
ROUTE = re.compile(
    r"^(?P<prefix>/api/v1|/apis/[^/]+/v1)/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?$"
)
METADATA_ONLY = "as=PartialObjectMetadata"


@functools.cache
def _schema_dir() -> str:
    version = [v for v in kv.all_versions() if kv.major_minor(v) <= KUBE_VERSION][-1]
    return f"kubernetes-json-schema/v{version}-local-strict"


@functools.cache
def _validator(kind: str, api_version: str) -> Any:
    """kubernetes-validate's strict schema of one kind (what kubernetes_validate.validate loads on every
    call, built once here)."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = kv.schema_contents(f"{_schema_dir()}/{kind.lower()}-{group}.json", KUBE_VERSION)
    definitions = kv.schema_contents(f"{_schema_dir()}/_definitions.json", KUBE_VERSION)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(obj: dict[str, Any]) -> None:
    """The object against the Kubernetes OpenAPI schema (strict: no unknown field) of its kind."""
    _validator(obj["kind"], obj["apiVersion"]).validate(obj)


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class FakeKubeAPI:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (plural, ns, name) -> object
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.forbidden: set[str] = set()  # plurals answered 403
        self.on_create: Any = None  # callable(job) -> job, e.g. to finish a created Job
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKubeAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def plant(self, *objs: dict[str, Any]) -> None:
        for obj in objs:
            validate(obj)
            plural = next(p for p, (kind, _) in KINDS.items() if kind == obj["kind"])
            meta = obj["metadata"]
            self.objects[(plural, meta["namespace"], meta["name"])] = obj

    def remove(self, plural: str, namespace: str, name: str) -> None:
        del self.objects[(plural, namespace, name)]

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any]:
        return self.objects[(plural, namespace, name)]

    def kubeconfig(self, path: Path, token: str = TOKEN) -> Path:
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "test",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "doctor", "user": {"token": token}}],
                    "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "doctor"}}],
                }
            )
        )
        return path

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _status(self, code: int, reason: str, message: str) -> None:
                self._send(
                    code,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "metadata": {},
                        "status": "Failure",
                        "message": message,
                        "reason": reason,
                        "code": code,
                    },
                )

            def _route(self) -> tuple[str, str, str, str | None, dict[str, list[str]]] | None:
                url = urlsplit(self.path)
                api.requests.append((self.command, url.path, dict(self.headers)))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._status(401, "Unauthorized", "Unauthorized")
                    return None
                m = ROUTE.match(url.path)
                if not m or m["plural"] not in KINDS or KINDS[m["plural"]][1] != m["prefix"]:
                    self._status(
                        404, "NotFound", f"the server could not find the requested resource {url.path}"
                    )
                    return None
                if m["plural"] in api.forbidden:
                    self._status(
                        403,
                        "Forbidden",
                        f'{m["plural"]} is forbidden: User "doctor" cannot '
                        f'{self.command.lower()} resource "{m["plural"]}" in namespace "{m["ns"]}"',
                    )
                    return None
                return m["prefix"], m["ns"], m["plural"], m["name"], parse_qs(url.query)

            def do_GET(self) -> None:  # noqa: N802
                route = self._route()
                if route is None:
                    return
                prefix, ns, plural, name, query = route
                kind = KINDS[plural][0]
                if name is None:
                    selector = (query.get("labelSelector") or [""])[0]
                    items = [
                        o
                        for (p, n, _), o in sorted(api.objects.items())
                        if p == plural and n == ns and _matches(o["metadata"].get("labels") or {}, selector)
                    ]
                    self._send(
                        200,
                        {
                            "kind": f"{kind}List",
                            "apiVersion": API_VERSION[prefix],
                            "metadata": {"resourceVersion": "1"},
                            "items": items,
                        },
                    )
                    return
                obj = api.objects.get((plural, ns, name))
                if obj is None:
                    self._status(404, "NotFound", f'{plural} "{name}" not found')
                elif plural == "secrets":
                    if METADATA_ONLY not in (self.headers.get("Accept") or ""):
                        self._status(406, "NotAcceptable", "this test server serves Secrets as metadata only")
                        return
                    self._send(
                        200,
                        {
                            "kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": obj["metadata"],
                        },
                    )
                else:
                    self._send(200, obj)

            def do_POST(self) -> None:  # noqa: N802
                route = self._route()
                if route is None:
                    return
                _, ns, plural, name, _ = route
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if plural != "jobs" or name is not None:
                    self._status(405, "MethodNotAllowed", "only jobs can be created here")
                    return
                body["metadata"].setdefault("uid", f"uid-{len(api.objects)}")
                body["metadata"].setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
                try:
                    validate(body)
                except Exception as exc:  # the API server's 422
                    self._status(422, "Invalid", str(exc))
                    return
                if (plural, ns, body["metadata"]["name"]) in api.objects:
                    self._status(409, "AlreadyExists", "exists")
                    return
                api.objects[(plural, ns, body["metadata"]["name"])] = body
                if api.on_create:
                    api.objects[(plural, ns, body["metadata"]["name"])] = api.on_create(body)
                self._send(201, body)

        return Handler
