"""The CLI never crashes: whatever --set/--set-json/--set-string it gets, it exits 0, 1 or 2."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart.cli import main

_paths = st.sampled_from(
    [
        "cron.schedules.cleanup.schedule",
        "cron.schedules.newJob.schedule",
        "cron.schedules.newJob.path",
        "cron.timeZone",
        "cron.activeDeadlineSeconds",
        "cron.concurrencyPolicy",
        "cron.secret.name",
        "cron.secret.key",
        "cron.enabled",
        "cron.schedules.cleanup",
        "cron.schedules",
        "cron",
        "nameOverride",
        "fullnameOverride",
        "api.env[0].value",
        "cron.schedules.cleanup.resources.limits.memory",
        "cron.image.tag",
        "cron.apiUrl",
    ]
)
_values = st.one_of(
    st.sampled_from(
        [
            "",
            "null",
            "0",
            "-1",
            "true",
            "Local",
            "@every 0s",
            "TZ=UTC",
            "0 0 30 2 *",
            "*/5 * * * 7",
            "a b",
            "{a,b}",
            "9999999999999999999",
            "1e6",
            "x" * 60,
        ]
    ),
    st.text(alphabet="ab01 */-@:,.=[]{}", max_size=10),
)
_json = st.sampled_from(['{"a":1}', "[1,2]", "null", '"x"', "1.5", "true", "{"])


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    sets=st.lists(st.tuples(_paths, _values).map("=".join), max_size=3),
    jsons=st.lists(st.tuples(_paths, _json).map("=".join), max_size=1),
    strings=st.lists(st.tuples(_paths, _values).map("=".join), max_size=1),
    command=st.sampled_from([[], ["explain"], ["--format", "json"], ["--error-format", "github"]]),
)
def test_cli_exit_codes_only(sets, jsons, strings, command):
    argv = list(command)
    for flag, items in (("--set", sets), ("--set-json", jsons), ("--set-string", strings)):
        for item in items:
            argv += [flag, item]
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = main(argv)
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue()


# --------------------------------------------------------------------------------------------------
# Inputs that used to end in a traceback (issue 13, item 12): each is a clear error naming the flag or
# file, or helm's own answer, run as the real CLI under RLIMIT_AS/RLIMIT_CPU (chaos/scenarios/render_fuzz.py).
# --------------------------------------------------------------------------------------------------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from kaireon_chart import strvals  # noqa: E402

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # the campaign package lives at the repository root
    sys.path.insert(0, str(_ROOT))

from chaos.scenarios import render_fuzz as _fuzz  # noqa: E402


def _cli(*args):
    out = _fuzz.run_cli(list(args), cpu=60, memory=1024 * 1024 * 1024)
    assert out.failure() is None, out.failure()
    return out


def test_set_with_5000_digits_is_a_string_as_in_helm():
    # helm's ParseInt fails past int64 and the value stays a string; the schema then refuses it for an
    # integer field (helm: "Invalid type. Expected: integer, given: string"), exit 1, the flag named
    out = _cli("--set", "api.replicas=" + "1" * 5000)
    assert out.code == 1
    assert "--set" in out.text and "api.replicas=1111" in out.text and "characters)" in out.text
    assert "api.replicas:" in out.text and "is a string; allowed: an integer" in out.text
    assert strvals.typed_value("1" * 5000) == "1" * 5000
    assert strvals.typed_value("+" + "0" * 30 + "7") == 7  # Go's ParseInt accepts leading zeros after a sign
    assert strvals.typed_value("9223372036854775808") == "9223372036854775808"
    assert strvals.typed_value("-9223372036854775808") == -(2**63)


def test_set_json_with_10000_digits_is_an_input_error():
    out = _cli("--set-json", "a=" + "1" * 10000)
    assert out.code == 2
    assert "failed parsing --set-json data" in out.text and "out of range" in out.text
    assert len(out.text) < 600  # the 10,000 digits are not echoed
    for bad in ("a=1e400", "a=-" + "9" * 400, "a=NaN", "a=Infinity"):
        with pytest.raises(strvals.StrvalsError):
            strvals.parse_set_json(bad)
    assert strvals.parse_set_json("a=" + "9" * 300) == {"a": int("9" * 300)}
    assert strvals.parse_set_json("a=1.5e308") == {"a": 1.5e308}


def test_dev_zero_is_an_input_error():
    out = _cli("-f", "/dev/zero")
    assert out.code == 2 and "/dev/zero: larger than" in out.text


def test_huge_hex_int_in_a_file_stays_a_string(tmp_path):
    # go-yaml: ParseInt and ParseUint fail, 0x... is no float, so the scalar is a string (no 6,000-digit int)
    path = tmp_path / "hex.yaml"
    path.write_text("cron:\n  backoffLimit: 0x" + "f" * 5000 + "\n")
    out = _cli("-f", str(path))
    assert out.code == 1 and "cron.backoffLimit:" in out.text and "is a string" in out.text


def test_argv_that_is_not_utf8():
    out = _fuzz.run_cli([b"--set", b"cron.schedules.x.path=\xff\xfe"])
    assert out.failure() is None and out.code == 1
    out = _fuzz.run_cli([b"-f", b"/nonexistent/\xff.yaml"])
    assert out.failure() is None and out.code == 2 and "no such file" in out.text
