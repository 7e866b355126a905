"""The ``routemap`` command (DESIGN §8). Its exit codes and JSON fields are a contract.

Exit 0: the file loaded (unresolved places and rejected rows are reported, not fatal).
Exit 2: the file cannot be used; one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

COMMANDS = ("serve", "check", "geocode", "map")
EXIT_OK, EXIT_UNUSABLE = 0, 2


def console_main() -> None:
    """The ``routemap`` console script: :func:`main`, then a quick exit.

    A command that loaded a million rows holds about a gigabyte of arrays, and the
    interpreter's orderly teardown of them took 0.15 s after the work was done. Every
    file is written and closed by then, so once stdout and stderr are flushed there is
    nothing left to clean up; the server (``serve``) exits the ordinary way.
    """
    # numpy asks for transparent huge pages on big arrays; where the kernel then compacts
    # memory on first touch (defrag=madvise), a million-row load stalled up to 0.6 s
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    one_off = sys.argv[1:2] in (["check"], ["geocode"], ["map"])
    if one_off:
        import gc

        from dashboard.heap import keep_freed_memory

        keep_freed_memory()  # the exit gives it all back in a second or two
        # a run of seconds makes little cyclic garbage, and the exit frees it: the
        # collector's passes over the imports and the loaded tables took 30-45 ms of a
        # million-row map (16 rounds: map 1.156 -> 1.109 s, check 0.786 -> 0.771 s, at
        # the same peak memory)
        gc.disable()
    code = main()
    if one_off:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader stopped reading (`routemap check FILE | head`): nothing went wrong
        # here, and what is left to print goes nowhere, as with other command-line tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # one clear line, whatever went wrong
        from loaders.errors import RoutemapError

        if os.environ.get("ROUTEMAP_DEBUG"):
            raise
        if isinstance(error, RoutemapError):
            print(f"routemap: {error}", file=sys.stderr)
        elif isinstance(error, OSError):
            print(f"routemap: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
                  file=sys.stderr)
        else:
            print(f"routemap: could not use the file ({type(error).__name__}: {error});"
                  " set ROUTEMAP_DEBUG=1 for details", file=sys.stderr)
        return EXIT_UNUSABLE


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit 2, like every other failure."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_UNUSABLE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="routemap",
        description="Map human-trafficking routes and hotspots. FILE may be a path or a "
        "bundled sample: 'demo' (synthetic) or 'seed' (routes named in the seed article).",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the dashboard (default command)")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1: this machine only)")
    serve.set_defaults(run=run_serve)

    check = sub.add_parser("check", help="load, validate and geocode FILE; print the report")
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--layout", help="override the detected layout")
    check.set_defaults(run=run_check)

    geo = sub.add_parser("geocode", help="add coordinates for the place columns of FILE")
    geo.add_argument("file")
    geo.add_argument("-o", "--output", required=True, help="CSV file to write")
    geo.add_argument("--column", action="append", default=[],
                     help="a column to geocode (repeatable); default: the detected place columns")
    geo.add_argument("--country-column", help="a column naming the country of each row's places")
    geo.set_defaults(run=run_geocode)

    try:
        from dashboard.maps.cli_map import add_map_parser
    except ImportError:  # the map builder is optional for check/geocode
        pass
    else:
        add_map_parser(sub)
    return parser


class VersionAction(argparse.Action):
    """``--version``, looked up only when asked for: reading the installed package's
    metadata costs 20 ms, which every ``routemap check`` would otherwise pay."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        sys.stdout.write(f"routemap {_version()}\n")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("routemap")
    except PackageNotFoundError:
        return "dev"


def run_check(args: argparse.Namespace) -> int:
    from loaders.readers import read_in_background

    table = read_in_background(args.file)  # parsed while pandas and the loaders import
    from loaders.load import load_dataset

    dataset = load_dataset(args.file, layout=args.layout, table=table)
    report = dataset.report
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_report(report))
    return EXIT_OK


def format_report(report) -> str:
    """The human-readable report: the same numbers as the JSON, for a terminal."""
    from dashboard.maps.wording import counted
    from loaders.report import QUOTED_CHARS, guess_text, quoted, row_word

    def said(text: str) -> str:  # a 100,000-character name printed whole filled a line
        return repr(text) if len(text) <= QUOTED_CHARS else quoted(text)

    lines = [
        f"layout    {report.layout} ({report.file_format})",
        f"rows      {report.rows_read} read, {report.rows_kept} kept, "
        f"{report.rows_rejected} rejected",
        f"records   {report.records}",
        f"places    {report.places_unique} distinct, {report.places_resolved} resolved"
        + "".join(f", {n} {m}" for m, n in report.by_method.items()),
    ]
    if report.set_aside:
        lines.append(f"set aside {', '.join(report.set_aside)}")
    ignored = (report.columns or {}).get("ignored") or []
    if ignored:
        # the JSON alone named them: a matrix's "Other North" holds people no map shows
        lines.append(f"not read  {', '.join(map(str, ignored))} (columns no layout role uses)")
    if report.unresolved:
        lines.append("unresolved places:")
        for place in report.unresolved[:50]:
            hint = f" (did you mean {place.suggestion}?)" if place.suggestion else ""
            lines.append(f"  {said(place.query)} in {place.rows} rows{hint}")
        if len(report.unresolved) > 50:
            lines.append(f"  … and {len(report.unresolved) - 50} more (use --json for all)")
    if report.guessed:
        lines.append("guessed places (drawn as found; please check):")
        for g in report.guessed[:50]:
            beside = f" next to {said(g.country)}" if g.country else ""
            found = guess_text(g.found, elsewhere_in=g.country if g.elsewhere else "",
                               also=g.also)
            lines.append(f"  {said(g.query)}{beside} in {counted(g.rows, 'row')}: {found}")
        if len(report.guessed) > 50:
            lines.append(f"  … and {len(report.guessed) - 50} more (use --json for all)")
    if report.problems:
        lines.append("problems:")
        for problem in report.problems[:50]:
            where = (f"{row_word(report.file_format)} {problem.row}" if problem.row is not None
                     else "file")
            column = f" [{problem.column}]" if problem.column else ""
            kept = " (row kept)" if problem.kept and problem.row is not None else ""
            lines.append(f"  {where}{column}: {problem.message}{kept}")
        if len(report.problems) > 50:
            lines.append(f"  … and {len(report.problems) - 50} more (use --json for all)")
    return "\n".join(lines) + "\n"


def run_geocode(args: argparse.Namespace) -> int:
    from loaders.readers import read_in_background

    table = read_in_background(args.file)  # parsed while pandas and the loaders import
    from loaders.geocode_table import geocode_file

    summary = geocode_file(args.file, Path(args.output), columns=args.column,
                           country_column=args.country_column, table=table)
    print(summary, file=sys.stderr)
    return EXIT_OK


def streamlit_options(host: str, port: int) -> list[str]:
    """The options ``routemap serve`` gives Streamlit: local, private, offline."""
    return [
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.enableStaticServing", "true",
        "--server.maxUploadSize", "200",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.showErrorLinks", "false",  # no "Ask Google/ChatGPT" links off the machine
        "--client.toolbarMode", "viewer",
        "--theme.base", "light",
        # less space above and between the headings and figures, so on a 1366x768
        # laptop the map starts in the first screen (Streamlit's own spacing is roomy)
        "--theme.paddingTop", "1rem",
        "--theme.headingFontSizes", '["2.25rem", "1.75rem", "1.375rem"]',
        "--theme.metricValueFontSize", "1.75rem",
    ]


def run_serve(args: argparse.Namespace) -> int:
    """Become the Streamlit server: exec, not a child process, so a stop signal sent to
    `routemap serve` (a service manager's, or kill PID) stops the server itself; a
    child kept serving after its parent was stopped."""
    app = Path(__file__).resolve().parent / "app.py"
    command = [sys.executable, "-m", "dashboard.server", "run", str(app),
               *streamlit_options(args.host, args.port)]
    print(f"routemap: dashboard on http://{args.host}:{args.port}", file=sys.stderr)
    sys.stderr.flush()
    os.chdir(app.parent)
    os.execv(sys.executable, command)
    return EXIT_OK  # not reached: the process is the server now


if __name__ == "__main__":
    sys.exit(main())
