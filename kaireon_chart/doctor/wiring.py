"""Wiring: the trigger URL's Service and its ready endpoints, the Secret the trigger reads (metadata only)."""

from __future__ import annotations

from ..problems import ERROR
from .client import service_ref
from .findings import Finding
from .snapshot import Obj, Snapshot, dig


def check(snap: Snapshot, cj: Obj, src: dict[str, str]) -> list[Finding]:
    name = dig(cj, "metadata", "name") or ""
    found: list[Finding] = []
    for env in dig(cj, "spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "env") or []:
        url, secret = env.get("value"), dig(env, "valueFrom", "secretKeyRef", "name")
        if env.get("name") == "CRON_URL" and url:
            ref = service_ref(url, snap.namespace)
            state = snap.services.get(f"{ref[0]}/{ref[1]}") if ref else None
            if state is not None and not state.exists:
                found.append(
                    Finding(
                        "service-missing",
                        ERROR,
                        name,
                        f"the trigger URL {url} names Service "
                        f"{state.namespace}/{state.name}, which does not exist (wrong API Service "
                        "DNS name?)",
                        "cron.apiUrl",
                    )
                )
            elif state is not None and state.ready_endpoints == 0:
                found.append(
                    Finding(
                        "service-no-endpoints",
                        ERROR,
                        name,
                        f"Service {state.namespace}/{state.name} "
                        f"(the trigger URL {url}) has no ready endpoints: every trigger fails",
                        "",
                    )
                )
        if secret and snap.secrets.get(f"{snap.namespace}/{secret}", {}) is None:
            found.append(
                Finding(
                    "secret-missing",
                    ERROR,
                    name,
                    f"Secret {snap.namespace}/{secret} (the bearer secret of the trigger) does not exist",
                    "cron.secret.name",
                )
            )
    return found
