"""`render-values schedule`: fire times from the Kubernetes parser, collisions, peak concurrency,
heatmap, herds, stagger suggestions and --apply."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.cli import main
from kaireon_chart.cron import parse_schedule
from kaireon_chart.schedule import stagger
from kaireon_chart.schedule.timeline import Job, Timeline, fire_times

START = datetime(2026, 12, 1, tzinfo=UTC)


def _plain(expr: str, tz: str | None, start: int, end: int) -> list[int]:
    sched, out, t = parse_schedule(expr), [], start - 1
    while True:
        t = sched.next_unix(t, tz)
        if t is None or t >= end:
            return out
        out.append(t)


@settings(max_examples=25, deadline=None)
@given(
    minute=st.sampled_from(["*", "*/7", "0", "30", "15,45", "0-10/5"]),
    hour=st.sampled_from(["*", "2", "1-3", "*/5", "0,2,23"]),
    dow=st.sampled_from(["*", "0", "1-5"]),
    tz=st.sampled_from([None, "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]),
    day=st.integers(0, 364),
)
def test_fire_times_are_the_parsers_successive_next_times(minute, hour, dow, tz, day):
    """The 59 s skip between calls changes nothing, across DST changes and odd offsets."""
    expr = f"{minute} {hour} * * {dow}"
    start = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp()) + day * 86400
    assert list(fire_times(parse_schedule(expr), tz, start, start + 3 * 86400)) == _plain(
        expr, tz, start, start + 3 * 86400
    )


def _job(
    key: str, expr: str, deadline: int | None = 60, policy: str = "Forbid", tz: str | None = None
) -> Job:
    return Job(key, f"kaireon-{key}", expr, tz, deadline, policy, f"cron.schedules.{key}.schedule")


def test_collisions_and_heatmap():
    tl = Timeline([_job("a", "0 * * * *"), _job("b", "0 */2 * * *"), _job("c", "30 4 * * *")], START, 1)
    assert len(tl.collisions()) == 12 and tl.collisions()[0] == (int(START.timestamp()), ["a", "b"])
    [(day, hours)] = tl.heatmap()
    assert day == "2026-12-01" and hours[0] == 2 and hours[1] == 1 and hours[4] == 3
    assert tl.busiest_times_of_day(1) == [("00:00", 2, ["a", "b"])]


@pytest.mark.parametrize(("policy", "peak"), [("Allow", 5), ("Forbid", 1), ("Replace", 1)])
def test_peak_concurrency_uses_the_deadline_and_the_policy(policy, peak):
    tl = Timeline([_job("tick", "* * * * *", deadline=300, policy=policy)], START, 0.5)
    assert tl.peak()[0] == peak


def test_peak_counts_different_jobs_running_together():
    tl = Timeline(
        [
            _job("a", "0 * * * *", deadline=1800),
            _job("b", "10 * * * *", deadline=600),
            _job("c", "50 * * * *", deadline=60),
        ],
        START,
        1,
    )
    runs, at, who = tl.peak()
    assert (runs, who) == (2, ["a", "b"]) and at == int(START.timestamp()) + 600


def test_fire_times_follow_the_jobs_time_zone():
    tl = Timeline([_job("berlin", "0 3 * * *", tz="Europe/Berlin")], START, 1)
    assert [datetime.fromtimestamp(t, UTC).hour for t in tl.fires["berlin"]] == [2]  # 03:00 CET = 02:00 UTC


def test_stagger_is_deterministic_and_keeps_the_cadence():
    job = _job("cleanup", "30 4 * * *")
    first = stagger.suggest(job, (1, 5))
    assert first == stagger.suggest(job, (1, 5))
    minute, hour = first.suggested.split()[:2]
    assert int(hour) in range(1, 6) and first.suggested.endswith(" * * *")
    step = stagger.suggest(_job("approvalsExpire", "*/15 * * * *"))
    assert step.suggested == "4-59/15 * * * *"
    times = _plain(step.suggested, None, int(START.timestamp()), int(START.timestamp()) + 3600)
    assert [t % 3600 // 60 for t in times] == [4, 19, 34, 49]
    assert stagger.suggest(_job("tick", "* * * * *")) is None
    assert stagger.suggest(_job("h", "@hourly")).suggested.split()[1:] == ["*", "*", "*", "*"]
    assert stagger.parse_window("22-4") == (22, 4)
    assert stagger._window_hours((22, 4)) == [22, 23, 0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="--window"):
        stagger.parse_window("5")


def test_worked_example_the_chart_defaults(capsys):
    """The seed's defaults: the busiest minutes of a day are 02:00, 04:30 and 05:00 (UTC), four jobs
    each: the daily job of that minute, approvalsExpire (*/15), flowSchedulerTick (every minute) and
    outboxReaper (*/2); those are the schedule-herd minutes at the default limit of 3."""
    assert main(["schedule", "--from", "2026-12-01T00:00Z", "--format", "json"]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)
    assert [(r["time"], len(r["jobs"])) for r in d["busiestTimesOfDay"][:3]] == [
        ("02:00", 4),
        ("04:30", 4),
        ("05:00", 4),
    ]
    assert d["peakConcurrency"]["runs"] == 4 and len(d["herd"]["minutes"]) == 21
    assert len(d["heatmap"]["days"]) == 7 and d["starts"] == sum(d["startsPerHourOfDay"])
    assert captured.err.count("[schedule-herd]") == 3
    assert "cron.schedules.scheduledRetrains.schedule: 4 jobs start in the same minute" in captured.err
    assert main(["schedule", "--from", "2026-12-01", "--strict"]) == 1
    assert "Busiest minutes of the day" in capsys.readouterr().out


def test_stagger_apply_writes_the_values_file_keeping_comments(tmp_path, capsys):
    values = tmp_path / "prod.yaml"
    values.write_text(
        '# production\ncron:\n  schedules:\n    cleanup:\n      schedule: "30 4 * * *"  # nightly\n'
    )
    rc = main(
        [
            "schedule",
            "-f",
            str(values),
            "--from",
            "2026-12-01",
            "--stagger",
            "--window",
            "1-5",
            "--apply",
            str(values),
            "--format",
            "json",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    suggested = {s["key"]: s["suggested"] for s in out["stagger"]["suggestions"]}
    assert out["stagger"]["after"]["herd"]["minutes"] == []
    text = values.read_text()
    assert text.startswith("# production\n") and "# nightly" in text
    assert (
        f'schedule: "{suggested["cleanup"]}"' in text
        and f'schedule: "{suggested["gitopsDriftCheck"]}"' in text
    )
    assert main(["schedule", "-f", str(values), "--from", "2026-12-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["herd"]["minutes"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--days", "0"],
        ["--from", "yesterday"],
        ["--apply", "x.yaml"],
        ["--stagger", "--window", "1to5"],
        ["--herd", "0"],
    ],
)
def test_bad_options_exit_2(argv, capsys):
    assert main(["schedule", *argv]) == 2
    assert "render-values: error:" in capsys.readouterr().err


def test_check_herd_option(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("cron:\n  enabled: true\n")
    assert main(["check", str(tmp_path / "a.yaml"), "--no-kube-schema", "--herd", "3"]) == 0
    assert capsys.readouterr().out.count("[schedule-herd]") == 3
    assert main(["check", str(tmp_path / "a.yaml"), "--no-kube-schema"]) == 0
    assert "schedule-herd" not in capsys.readouterr().out
