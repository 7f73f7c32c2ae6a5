"""The ``render-values`` subcommands: load -> merge -> evaluate -> report, each step a library call."""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from . import names
from .chart import Chart, ChartError, load_chart
from .checks import CHECKS
from .kube import KubeUnavailable, KubeVersionError, available
from .origins import Origins
from .problems import ERROR, FileReport, Finding, Problem
from .validation import Evaluation, evaluate
from .values import ValuesError, coalesce, load_values
from .valuesfile import parse_yaml, read_values_file
from .yamlout import dump_manifests, go_safe_dumper

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
PROG = "render-values"
ERROR_FORMATS = ("text", "github", "json", "sarif", "junit", "gitlab")


class UsageError(Exception):
    """Exit 2 with this message."""


def _chart(args: Namespace) -> Chart:
    try:  # a release name helm refuses is a usage error (exit 2), as for helm itself
        names.validate_release_name(args.release_name)
    except ValueError as exc:
        raise UsageError(f"--release-name: {exc}") from None
    try:
        return load_chart(args.chart)
    except ChartError as exc:
        raise UsageError(str(exc)) from None


def _origins(chart: Chart) -> Origins:
    origins = Origins()
    values_file = Path(chart.path) / "values.yaml"
    try:
        origins.files.append((str(values_file), values_file.read_text(encoding="utf-8")))
    except OSError:
        pass
    return origins


def _load(args: Namespace, chart: Chart, files: list[str], origins: Origins | None = None) -> dict[str, Any]:
    try:
        return load_values(files, args.set_values, args.set_string, args.set_json, chart, origins=origins)
    except ValuesError as exc:
        raise UsageError(str(exc)) from None


def _evaluate(args: Namespace, values: dict[str, Any], chart: Chart, render: bool = True) -> Evaluation:
    """Problems, resolved jobs and manifests of ``values``: each resolved and rendered once."""
    if not args.no_kube_schema and args.kube_version is None and not available():
        print(
            f"{PROG}: note: kubernetes-validate is not installed, the Kubernetes OpenAPI schema layer is "
            "skipped (pip install 'kaireon-chart[k8s]')",
            file=sys.stderr,
        )

    try:
        return evaluate(
            values,
            release_name=args.release_name,
            namespace=args.namespace,
            kube_version=args.kube_version,
            chart=chart,
            kube_schema=not args.no_kube_schema,
            render=render,
        )
    except (KubeVersionError, KubeUnavailable) as exc:
        raise UsageError(str(exc)) from None


def _findings(problems: list[Problem], origins: Origins | None) -> list[Finding]:
    from .reports.locate import find  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

    return [Finding(p, *find(origins, p.path)) for p in problems]


def _report_specs(args: Namespace) -> list[tuple[str, str]]:
    if not getattr(args, "reports", None):
        return []
    from .reports import parse_specs  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

    try:
        return parse_specs(getattr(args, "reports", []), ERROR_FORMATS)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _write_reports(specs: list[tuple[str, str]], reports: list[FileReport], strict: bool) -> None:
    if specs:
        from .reporters import write_all  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

        try:
            write_all(specs, reports, strict)
        except OSError as exc:
            raise UsageError(f"{exc.filename}: cannot write the report: {exc.strerror}") from None


def _wants_jobs(args: Namespace, specs: list[tuple[str, str]]) -> bool:
    return args.error_format == "junit" or any(fmt == "junit" for fmt, _ in specs)


def _emit(text: str, stream: TextIO) -> None:
    if text:
        stream.write(text)
        stream.flush()


def _failed(problems: list[Problem], strict: bool) -> bool:
    return any(p.severity == "error" or (strict and p.severity == "warning") for p in problems)


def cmd_render(args: Namespace) -> int:
    if args.list_checks:
        for check_id, (severity, rule) in CHECKS.items():
            print(f"{check_id:26} {severity:8} {rule}")
        return EXIT_OK
    specs = _report_specs(args)
    chart = _chart(args)
    origins = _origins(chart)
    values = _load(args, chart, args.files, origins)
    evaluation = _evaluate(args, values, chart)
    problems = evaluation.problems
    if problems or args.error_format != "text" or specs:  # (a clean text run needs no reporter)
        from .reporters import render  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

        anchor = next(
            (f for f in reversed(args.files) if f != "-"), origins.files[0][0] if origins.files else None
        )
        jobs = None
        if _wants_jobs(args, specs):
            # lazy: reports ~0.4 ms (bench 8), clean runs skip them
            from .reports import job_list

            jobs = job_list(values, evaluation.jobs)
        report = FileReport(None, _findings(problems, origins), jobs=jobs, anchor=anchor)
        _write_reports(specs, [report], args.strict)
        if problems or args.error_format != "text":
            _emit(render(args.error_format, [report], args.strict), sys.stderr)
    if _failed(problems, args.strict):
        return EXIT_INVALID
    text = dump_manifests(evaluation.manifests or [], args.format)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write: {exc.strerror}") from None
    else:
        _emit(text, sys.stdout)
    return EXIT_OK


def _expand(paths: list[str]) -> list[str]:
    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file())
            if not found:
                raise UsageError(f"{raw}: no *.yaml or *.yml files in this directory")
            out.extend(str(x) for x in found)
        else:
            out.append(raw)
    return out


def cmd_check(args: Namespace) -> int:
    from .reporters import render  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

    specs = _report_specs(args)
    if args.herd is not None and args.herd < 1:
        raise UsageError(f"--herd {args.herd}: allowed: 1 or more")
    chart = _chart(args)
    files = _expand(args.paths)
    reports: list[FileReport] = []
    io_error = failed = False
    for name in files:
        origins = _origins(chart)
        try:
            values = load_values(
                [*args.files, name], args.set_values, args.set_string, args.set_json, chart, origins=origins
            )
        except ValuesError as exc:
            io_error = True
            finding = Finding(
                Problem("", exc.message, ERROR, "values-file"), exc.file or name, exc.line, exc.column
            )
            reports.append(FileReport(name, [finding]))
            continue
        evaluation = _evaluate(args, values, chart, render=False)
        problems = evaluation.problems
        if args.herd is not None:
            from .schedule.timeline import check_herd  # lazy: ~1 ms (bench 8), only with --herd

            problems = problems + check_herd(values, args.release_name, chart, args.herd)
        failed = failed or _failed(problems, args.strict)
        jobs = None
        if _wants_jobs(args, specs):
            # lazy: reports ~0.4 ms (bench 8), clean runs skip them
            from .reports import job_list

            jobs = job_list(values, evaluation.jobs)
        reports.append(FileReport(name, _findings(problems, origins), jobs=jobs))
    _write_reports(specs, reports, args.strict)
    if args.error_format == "text":
        for report in reports:
            errs = sum(f.problem.severity == "error" for f in report.findings)
            warns = len(report.findings) - errs
            head = "ok" if not report.findings else f"{errs} error(s), {warns} warning(s)"
            _emit(f"{report.name}: {head}\n" + render("text", [report], args.strict), sys.stdout)
    else:
        _emit(render(args.error_format, reports, args.strict), sys.stdout)
    if io_error:
        return EXIT_USAGE
    return EXIT_INVALID if failed else EXIT_OK


def cmd_explain(args: Namespace) -> int:
    from .explain import explain, format_text  # lazy: ~2 ms (bench 8), the explain subcommand only

    chart = _chart(args)
    values = _load(args, chart, args.files)
    try:
        rows = explain(values, release_name=args.release_name, chart=chart, runs=max(0, args.runs))
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        print(
            f"{PROG}: the values cannot be explained ({exc}); run `{PROG}` on them for the problems",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.format == "json":
        _emit(json.dumps(rows, indent=2, default=str) + "\n", sys.stdout)
    else:
        _emit(format_text(rows), sys.stdout)
    return EXIT_OK


def cmd_add_route(args: Namespace) -> int:
    from .reporters import render  # lazy: reports ~0.4 ms (bench 8), clean runs skip them

    # lazy: routes ~10 ms (bench 8), add-route and --apply only
    from .routes import RouteError, add_route, write_atomic

    chart = _chart(args)
    text = ""
    target = Path(args.file) if args.file else None
    if target is not None and target.exists():
        try:
            text = read_values_file(str(target))[1]  # bounded, as every values file
            parse_yaml(text, str(target))
        except ValuesError as exc:
            raise UsageError(str(exc)) from None
    try:
        edit = add_route(text, args.name, args.schedule, args.path)
    except RouteError as exc:
        raise UsageError(f"{target}: {exc}" if target and str(exc)[:1].isdigit() else str(exc)) from None
    values = coalesce(edit.values, chart.values)
    evaluation = _evaluate(args, values, chart, render=args.manifest)
    problems = evaluation.problems
    origins = None
    if target is not None:
        origins = Origins(files=[(str(target), edit.text)])
    report = FileReport(str(target) if target else None, _findings(problems, origins))
    if problems:
        _emit(render(args.error_format, [report], args.strict), sys.stderr)
    if _failed(problems, args.strict):
        where = f"{target} was not changed" if target else "nothing printed"
        print(f"{PROG}: the result would be invalid; {where}", file=sys.stderr)
        return EXIT_INVALID
    if target is not None:
        try:
            write_atomic(target, edit.text)
        except OSError as exc:
            raise UsageError(f"{target}: cannot write: {exc.strerror}") from None
        verb = "updated" if edit.existed else "added"
        print(
            f"{verb} cron.schedules.{edit.key} (schedule {edit.schedule!r}, path {edit.path}) in {target}",
            file=sys.stderr,
        )
    if args.manifest:
        manifests = [
            m
            for m in evaluation.manifests or []
            if m["metadata"]["labels"].get("app.kubernetes.io/component") == edit.key
        ]
        if not manifests:
            raise UsageError(
                f"cron.schedules.{edit.key} renders no CronJob (is it disabled, or cron.enabled false?)"
            )
        _emit(dump_manifests(manifests, "yaml"), sys.stdout)
    elif target is None:
        import yaml  # lazy: PyYAML ~12 ms (bench 8), add-route only

        snippet = {"cron": {"schedules": {edit.key: {"schedule": edit.schedule, "path": edit.path}}}}
        _emit(yaml.dump(snippet, Dumper=go_safe_dumper(), sort_keys=False), sys.stdout)
    return EXIT_OK


def cmd_schedule(args: Namespace) -> int:
    from .schedule.cli import run  # lazy: ~1.6 ms (bench 8), the schedule subcommand only

    chart = _chart(args)
    values = _load(args, chart, args.files)
    try:
        return run(args, values, chart)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_doctor(args: Namespace) -> int:
    # lazy: ~11 ms (bench 8) and the [doctor] extra, the doctor subcommand only
    from .doctor.client import kube
    from .doctor.command import run

    kube()  # the [doctor] extra: MissingExtra (exit 2, naming it) before any work

    chart = _chart(args)
    origins = _origins(chart)  # where each value was set: the CI reports point at that file and line
    values = _load(args, chart, args.files, origins)
    return run(args, values, chart, origins=origins)


COMMANDS: dict[str, Callable[[Namespace], int]] = {
    "render": cmd_render,
    "check": cmd_check,
    "explain": cmd_explain,
    "add-route": cmd_add_route,
    "schedule": cmd_schedule,
    "doctor": cmd_doctor,
}
