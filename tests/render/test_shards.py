"""cron.schedules.<key>.shards: an Indexed Job, rendered like helm 3 and 4, refused off the tenant-loop routes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kaireon_chart.render import (
    CRON_SCRIPT,
    CRON_SCRIPT_SHARDED,
    SHARDABLE_PATHS,
    RenderError,
    render_cronjobs,
)
from service.shards import SHARDABLE_ROUTES

ROOT = Path(__file__).resolve().parents[2]


def _job(chart, merge, user):
    return {
        c["metadata"]["labels"]["app.kubernetes.io/component"]: c
        for c in render_cronjobs(merge(chart.values, user), chart=chart)
    }


def test_indexed_job_and_shard_env(chart, merge):
    jobs = _job(chart, merge, {"cron": {"schedules": {"cleanup": {"shards": 5}}}})
    spec = jobs["cleanup"]["spec"]["jobTemplate"]["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 5, 5)
    container = spec["template"]["spec"]["containers"][0]
    assert container["command"][2] == CRON_SCRIPT_SHARDED
    assert {"name": "CRON_SHARDS", "value": "5"} in container["env"]
    other = jobs["approvalsExpire"]["spec"]["jobTemplate"]["spec"]  # unsharded entries are untouched
    assert (
        "completionMode" not in other
        and other["template"]["spec"]["containers"][0]["command"][2] == CRON_SCRIPT
    )


def test_sharded_script_takes_every_value_from_the_environment_quoted():
    words = shlex.split(CRON_SCRIPT_SHARDED.split("| ", 1)[1])
    assert words[-1] == "$CRON_URL?shard=$JOB_COMPLETION_INDEX&shards=$CRON_SHARDS"  # one double-quoted word
    assert '"$CRON_URL?shard=$JOB_COMPLETION_INDEX&shards=$CRON_SHARDS"' in CRON_SCRIPT_SHARDED
    assert CRON_SCRIPT_SHARDED.replace("?shard=$JOB_COMPLETION_INDEX&shards=$CRON_SHARDS", "") == CRON_SCRIPT


@pytest.mark.parametrize("path", ["/api/v1/cron/approvals-expire", "/api/v1/cron/siem-ship"])
def test_shards_elsewhere_is_refused_like_helm(helm, chart, merge, path):
    user = {"cron": {"schedules": {"x": {"schedule": "0 1 * * *", "path": path, "shards": 2}}}}
    err = helm.template_error(user)
    assert re.search(r"cron\.schedules\.x|/cron/schedules/x", err) and "/api/v1/cron/cleanup" in err
    with pytest.raises(RenderError, match=r"cron\.schedules\.x\.shards: shards is only valid"):
        render_cronjobs(merge(chart.values, user), chart=chart)


def test_one_list_of_shardable_routes_everywhere():
    assert SHARDABLE_PATHS == tuple(f"/api/v1/cron/{r}" for r in SHARDABLE_ROUTES)
    template = (ROOT / "chart/templates/cronjobs.yaml").read_text()
    listed = re.search(r"\$shardable := list (.*) \}\}", template).group(1)
    assert tuple(re.findall(r'"([^"]+)"', listed)) == SHARDABLE_PATHS
    for schema in ("schemas/values.schema.json", "chart/values.schema.json"):
        text = (ROOT / schema).read_text()
        assert all(p in text for p in SHARDABLE_PATHS)
