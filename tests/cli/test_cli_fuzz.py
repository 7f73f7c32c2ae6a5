"""The CLI never crashes: whatever --set/--set-json/--set-string it gets, it exits 0, 1 or 2."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart.cli import main

_paths = st.sampled_from([
    "cron.schedules.cleanup.schedule", "cron.schedules.newJob.schedule", "cron.schedules.newJob.path",
    "cron.timeZone", "cron.activeDeadlineSeconds", "cron.concurrencyPolicy", "cron.secret.name", "cron.secret.key",
    "cron.enabled", "cron.schedules.cleanup", "cron.schedules", "cron", "nameOverride", "fullnameOverride",
    "api.env[0].value", "cron.schedules.cleanup.resources.limits.memory", "cron.image.tag", "cron.apiUrl",
])
_values = st.one_of(st.sampled_from(["", "null", "0", "-1", "true", "Local", "@every 0s", "TZ=UTC", "0 0 30 2 *",
                                     "*/5 * * * 7", "a b", "{a,b}", "9999999999999999999", "1e6", "x" * 60]),
                    st.text(alphabet="ab01 */-@:,.=[]{}", max_size=10))
_json = st.sampled_from(['{"a":1}', "[1,2]", "null", '"x"', "1.5", "true", "{"])


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(sets=st.lists(st.tuples(_paths, _values).map("=".join), max_size=3),
       jsons=st.lists(st.tuples(_paths, _json).map("=".join), max_size=1),
       strings=st.lists(st.tuples(_paths, _values).map("=".join), max_size=1),
       command=st.sampled_from([[], ["explain"], ["--format", "json"], ["--error-format", "github"]]))
def test_cli_exit_codes_only(sets, jsons, strings, command):
    argv = list(command)
    for flag, items in (("--set", sets), ("--set-json", jsons), ("--set-string", strings)):
        for item in items:
            argv += [flag, item]
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = main(argv)
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()
