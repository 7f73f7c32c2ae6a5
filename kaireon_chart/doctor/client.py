"""Reads of the release through the official `kubernetes` client (imported only in this package).

Every read is get/list in one namespace; the Secret is read as PartialObjectMetadata, so its data
never leaves the API server. Any failure to reach or read the cluster is ``Unreachable`` (exit 2).
"""

from __future__ import annotations

import ipaddress
import json
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..extras import MissingExtra
from .snapshot import Obj, ServiceState, Snapshot, dig

TIMEOUT = 15  # seconds per request
METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"


class Unreachable(Exception):
    """The cluster cannot be reached or refused a read: the message says why (no traceback)."""


def kube() -> Any:
    """The `kubernetes` package, or MissingExtra naming the [doctor] extra."""
    try:
        import kubernetes  # lazy: kubernetes is the [doctor] extra
    except ImportError:
        raise MissingExtra("render-values doctor", "the kubernetes client", "doctor") from None
    return kubernetes


def connect(kubeconfig: str | None, context: str | None) -> Any:
    """An ApiClient from --kubeconfig, $KUBECONFIG or ~/.kube/config, else the in-cluster service account."""
    k8s = kube()
    from kubernetes.config.config_exception import ConfigException  # lazy: kubernetes is the [doctor] extra

    cfg = k8s.client.Configuration()
    path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    in_cluster = not kubeconfig and not os.environ.get("KUBECONFIG") and not os.path.exists(path)
    try:
        if in_cluster and os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s.config.load_incluster_config(client_configuration=cfg)
        elif in_cluster:
            raise Unreachable(
                f"no kubeconfig ({path} does not exist, KUBECONFIG is not set) and not running "
                "in a cluster; pass --kubeconfig FILE"
            )
        else:
            k8s.config.load_kube_config(config_file=path, context=context, client_configuration=cfg)
    except (ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
        raise Unreachable(f"cannot load the cluster configuration: {exc}") from None
    cfg.retries = 1
    return k8s.client.ApiClient(cfg)


def _reason(exc: Exception, what: str) -> Unreachable:
    from kubernetes.client.exceptions import ApiException  # lazy: kubernetes is the [doctor] extra

    if isinstance(exc, ApiException):
        if exc.status in (401, 403):
            return Unreachable(
                f"{what}: the API server refused it (HTTP {exc.status} {exc.reason}); doctor needs "
                "get/list on it in the namespace (see docs/render-values.md, RBAC)"
            )
        return Unreachable(f"{what}: HTTP {exc.status} {exc.reason}")
    return Unreachable(f"{what}: cannot reach the API server ({type(exc).__name__}: {exc})")


def _absent(exc: Exception, what: str) -> None:
    """Return for a 404 (the object is missing, the caller answers None); raise the reason otherwise."""
    from kubernetes.client.exceptions import ApiException  # lazy: kubernetes is the [doctor] extra

    if not (isinstance(exc, ApiException) and exc.status == 404):
        raise _reason(exc, what) from None


def items(api: Any, what: str, call: Any, *args: Any, **kwargs: Any) -> list[Obj]:
    """A list call's items as plain dicts (camelCase, timestamps as RFC 3339 strings)."""
    try:
        result = call(*args, _request_timeout=TIMEOUT, **kwargs)
    except Exception as exc:  # ApiException, urllib3 errors: all become the reason for exit 2
        raise _reason(exc, what) from None
    return [api.sanitize_for_serialization(item) for item in (result.items or [])]


def _get(api: Any, what: str, call: Any, *args: Any) -> Obj | None:
    """One object as a plain dict, None on 404."""
    try:
        result = call(*args, _request_timeout=TIMEOUT)
    except Exception as exc:  # ApiException, urllib3 errors: a 404 is None, the rest the reason for exit 2
        _absent(exc, what)
        return None
    plain: Obj = api.sanitize_for_serialization(result)
    return plain


def service_ref(url: str, namespace: str) -> tuple[str, str] | None:
    """(namespace, service) a cluster-internal URL names: svc, svc.ns.svc[.<cluster domain>], and svc.ns when
    ns is ``namespace`` (other two-label hosts, such as example.com, are taken as external); else None."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    parts = host.split(".")
    try:
        ipaddress.ip_address(host)
        return None  # an address names no Service
    except ValueError:
        pass
    if not host:
        return None
    if len(parts) == 1:
        return namespace, parts[0]
    if (len(parts) == 2 and parts[1] == namespace) or (len(parts) >= 3 and parts[2] == "svc"):
        return parts[1], parts[0]
    return None


def list_cronjobs(api: Any, namespace: str, release: str) -> list[Obj]:
    batch = kube().client.BatchV1Api(api)
    return items(
        api,
        "list cronjobs",
        batch.list_namespaced_cron_job,
        namespace,
        label_selector=f"app.kubernetes.io/instance={release}",
    )


def read_release(api: Any, namespace: str, release: str, now: datetime) -> Snapshot:
    """The release's CronJobs, Jobs, Pods and Events, and the Services and Secrets its CronJobs reference."""
    k8s = kube()
    batch, core = k8s.client.BatchV1Api(api), k8s.client.CoreV1Api(api)
    selector = f"app.kubernetes.io/instance={release}"
    snap = Snapshot(namespace=namespace, release=release, now=now)
    snap.cronjobs = list_cronjobs(api, namespace, release)
    snap.jobs = items(api, "list jobs", batch.list_namespaced_job, namespace, label_selector=selector)
    snap.pods = items(api, "list pods", core.list_namespaced_pod, namespace, label_selector=selector)
    snap.events = items(api, "list events", core.list_namespaced_event, namespace)
    for cj in snap.cronjobs:
        for env in dig(cj, "spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "env") or []:
            if env.get("name") == "CRON_URL" and env.get("value"):
                ref = service_ref(env["value"], namespace)
                if ref and f"{ref[0]}/{ref[1]}" not in snap.services:
                    snap.services[f"{ref[0]}/{ref[1]}"] = _service(api, k8s, *ref)
            secret = dig(env, "valueFrom", "secretKeyRef", "name")
            if secret and f"{namespace}/{secret}" not in snap.secrets:
                snap.secrets[f"{namespace}/{secret}"] = secret_metadata(api, core, namespace, secret)
    return snap


def _service(api: Any, k8s: Any, namespace: str, name: str) -> ServiceState:
    from kubernetes.client.exceptions import ApiException  # lazy: kubernetes is the [doctor] extra

    core = k8s.client.CoreV1Api(api)
    svc = _get(api, f"get service {namespace}/{name}", core.read_namespaced_service, name, namespace)
    if svc is None:
        return ServiceState(name, namespace, exists=False)
    discovery = k8s.client.DiscoveryV1Api(api)
    try:
        slices = discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={name}", _request_timeout=TIMEOUT
        )
        # conditions.ready unset means ready (the EndpointSlice API's rule)
        ready = sum(
            1
            for s in slices.items or []
            for e in s.endpoints or []
            if e.conditions is None or e.conditions.ready is not False
        )
    except ApiException as exc:
        if exc.status != 404:
            raise _reason(exc, f"list endpointslices of {namespace}/{name}") from None
        # no discovery.k8s.io/v1 served: the core Endpoints object
        eps = _get(api, f"get endpoints {namespace}/{name}", core.read_namespaced_endpoints, name, namespace)
        ready = sum(len(s.get("addresses") or []) for s in (eps or {}).get("subsets") or [])
    except Exception as exc:
        raise _reason(exc, f"list endpointslices of {namespace}/{name}") from None
    return ServiceState(name, namespace, exists=True, ready_endpoints=ready)


def secret_metadata(api: Any, core: Any, namespace: str, name: str) -> Obj | None:
    """The Secret's metadata only (PartialObjectMetadata): its data is never requested. None when missing."""
    what = f"get secret {namespace}/{name} (metadata only)"
    try:  # the raw response (the client raises ApiException on a non-2xx status)
        response = core.read_namespaced_secret(
            name,
            namespace,
            _headers={"Accept": METADATA_ONLY},
            _preload_content=False,
            _request_timeout=TIMEOUT,
        )
        body: Obj = json.loads(response.data)
    except Exception as exc:
        _absent(exc, what)
        return None
    return {"metadata": body.get("metadata") or {}}  # anything else that came back is dropped, never kept
