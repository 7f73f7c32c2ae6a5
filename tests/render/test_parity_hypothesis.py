"""render_cronjobs == helm template (helm 3 and helm 4) on generated schema-valid values.

Each example renders many jobs at once (up to 6 entries plus the seven defaults) so one helm call
per major covers a lot of ground; the example count stays modest because every example runs helm.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kaireon_chart.render import RenderError, render_cronjobs

LABEL_CHARS = string.ascii_lowercase + string.digits
dns_label = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?\Z")
release_names = st.one_of(
    dns_label,
    st.sampled_from(
        ["kaireon", "kaireon-prod", "prod", "a-very-long-release-name-for-the-production-cluster1"]
    ),
    st.from_regex(r"\A[a-z]([-a-z0-9]{40,51})[a-z0-9]\Z"),
)
job_keys = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9]{0,24}[A-Za-z0-9])?\Z"),
    st.sampled_from(["cleanup", "outboxReaper", "dsarPurge", "siem-ship", "exportInteractions"]),
)
# schedules are only strings to the chart (the cron grammar is kaireon_chart.cron's business):
# include quoting hazards
schedules = st.one_of(
    st.sampled_from(["* * * * *", "*/5 * * * *", "0 3 * * *", "@hourly", "30 4 * * 1-5", "0 0 30 2 *"]),
    st.text(
        alphabet=string.ascii_letters + string.digits + " */,-?@#:'\"\\%{}[]&!|é", min_size=1, max_size=20
    ),
)
paths = st.from_regex(r"\A/[A-Za-z0-9._~/-]{0,30}\Z")
int32 = st.one_of(st.integers(0, 10), st.integers(0, 2**31 - 1))
int64 = st.one_of(
    st.integers(0, 10), st.sampled_from([1209600, 2592000, 31536000]), st.integers(0, 2**53 - 1)
)
deadline = st.one_of(st.integers(1, 10), st.sampled_from([600, 2592000]), st.integers(1, 2**53 - 1))
quantity = st.one_of(
    st.sampled_from(["10m", "1", "64Mi", "1Gi", "0.5"]),
    st.integers(0, 4_000_000),
    st.sampled_from([0.25, 0.5, 1.5, 2.0]),
)
resources = st.fixed_dictionaries(
    {},
    optional={
        "requests": st.dictionaries(
            st.sampled_from(["cpu", "memory", "ephemeral-storage"]), quantity, max_size=3
        ),
        "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2),
    },
)
label_keys = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?\Z"),
    st.sampled_from(["app.kubernetes.io/name", "team", "example.com/cost-center"]),
)
label_values = st.one_of(
    st.just(""),
    st.sampled_from(["true", "1", "null", "on"]),
    st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?\Z"),
)
labels = st.dictionaries(label_keys, label_values, max_size=3)
# "=" alone is a plain scalar to helm's YAML writer and an unknown tag to PyYAML: kept out
annotations = st.dictionaries(
    label_keys, st.text(alphabet=string.printable.strip().replace("=", "") + " é", max_size=12), max_size=3
)
secret_names = st.lists(st.sampled_from(["regcred", "mirror", "a.b"]), max_size=3)
tolerations = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "key": st.sampled_from(["dedicated", "example.com/pool"]),
                "operator": st.just("Equal"),
                "value": label_values,
                "effect": st.sampled_from(["", "NoSchedule", "NoExecute"]),
            }
        ),
        st.fixed_dictionaries({"operator": st.just("Exists")}),
        st.fixed_dictionaries(
            {
                "operator": st.just("Exists"),
                "effect": st.just("NoExecute"),
                "tolerationSeconds": st.integers(0, 600),
            }
        ),
    ),
    max_size=2,
)
affinity = st.one_of(
    st.just({}),
    st.just(
        {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["cron"]}]}
                    ]
                }
            }
        }
    ),
)
uids = st.integers(10000, 2**31 - 1)
pod_security = st.fixed_dictionaries(
    {},
    optional={
        "runAsUser": uids,
        "runAsGroup": st.integers(1, 2**31 - 1),
        "fsGroup": st.integers(1, 70000),
        "seccompProfile": st.sampled_from(
            [{"type": "RuntimeDefault"}, {"type": "Localhost", "localhostProfile": "p.json"}]
        ),
    },
)
container_security = st.fixed_dictionaries(
    {},
    optional={
        "runAsUser": uids,
        "readOnlyRootFilesystem": st.just(True),
        "seLinuxOptions": st.just({"level": "s0:c1"}),
    },
)
time_zones = st.sampled_from(["", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
overrides = {
    "timeZone": time_zones,
    "suspend": st.booleans(),
    "concurrencyPolicy": st.sampled_from(["Allow", "Forbid", "Replace"]),
    "activeDeadlineSeconds": deadline,
    "startingDeadlineSeconds": int64,
    "successfulJobsHistoryLimit": int32,
    "failedJobsHistoryLimit": int32,
    "backoffLimit": int32,
    "resources": resources,
    "imagePullSecrets": secret_names,
    "podLabels": labels,
    "podAnnotations": annotations,
    "nodeSelector": labels,
    "tolerations": tolerations,
    "affinity": affinity,
    "priorityClassName": st.sampled_from(["", "low", "system-cluster-critical"]),
    "podSecurityContext": pod_security,
    "containerSecurityContext": container_security,
}
entries = st.fixed_dictionaries(
    {"schedule": schedules, "path": paths},
    optional={"enabled": st.booleans(), **overrides},
)
cron = st.fixed_dictionaries(
    {},
    optional={
        "enabled": st.booleans().filter(bool) | st.booleans(),
        "apiUrl": st.one_of(
            st.just(""), st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,20}(:[0-9]{2,5})?(/[a-z]{0,8})?/?\Z")
        ),
        "secret": st.fixed_dictionaries(
            {},
            optional={
                "name": st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]{1,5})?\Z"),
                "key": st.from_regex(r"\A[-._a-zA-Z0-9]{1,20}\Z"),
            },
        ),
        "image": st.fixed_dictionaries(
            {},
            optional={
                "registry": st.sampled_from(["", "docker.io", "registry.example.com:5000/mirror"]),
                "repository": st.sampled_from(["curlimages/curl", "registry.example.com:5000/mirror/curl"]),
                "digest": st.sampled_from(["", "sha256:" + "ab" * 32]),
                "tag": st.sampled_from(["8.11.1", "8.11.1-r0", "8"]),
                "pullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
            },
        ),
        **overrides,
        "schedules": st.dictionaries(job_keys, entries, max_size=6),
    },
)
user_values = st.fixed_dictionaries(
    {"cron": cron},
    optional={
        "global": st.fixed_dictionaries(
            {},
            optional={
                "imageRegistry": st.sampled_from(
                    ["", "mirror.example.com", "registry.example.com:5000/proxy"]
                ),
                "imagePullSecrets": secret_names,
            },
        ),
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "fullnameOverride": st.one_of(
            st.just(""), dns_label, st.from_regex(r"\A[a-z]([-a-z0-9]{50,61})[a-z0-9]\Z")
        ),
        "nameOverride": st.one_of(st.just(""), dns_label),
        "serviceAccount": st.fixed_dictionaries(
            {"create": st.booleans(), "name": st.one_of(st.just(""), dns_label)}
        ),
        "service": st.fixed_dictionaries({"port": st.integers(1, 65535)}),
    },
)


# no shrinking: each step runs helm; the failing example is printed as generated
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(user=user_values, release=release_names, namespace=dns_label)
def test_generated_values_render_like_helm(helm, chart, merge, user, release, namespace):
    values = merge(chart.values, user)
    try:
        expected = helm.cronjobs(user, release=release, namespace=namespace)
    except AssertionError as helm_failed:  # a schedule the API server refuses, or a name collision
        if "templates/validate.yaml" in str(helm_failed):
            from kaireon_chart.validation import validate

            lines = {str(p) for p in validate(values, release_name=release, chart=chart, kube_schema=False)}
            refused = [x for x in str(helm_failed).splitlines() if x.startswith("cron.schedules.")]
            assert refused and set(refused) <= lines, str(helm_failed)
            return
        assert "is already used by" in str(helm_failed), str(helm_failed)
        try:
            render_cronjobs(values, release, namespace, chart=chart)
        except RenderError as exc:
            assert str(exc) in str(helm_failed)
            return
        raise AssertionError(f"helm refused, render_cronjobs did not:\n{helm_failed}") from None
    assert render_cronjobs(values, release, namespace, chart=chart) == expected
