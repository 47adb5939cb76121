"""`mkteach run` and `mkteach trace`: named scenarios for people without a browser.

    mkteach run unix-server --seed 1 --machine pentium     # a terminal trace, OSTEP-style
    mkteach trace figure1 --format chrome -o figure1.json   # open it in Perfetto

The header echoes every setting; the same scenario, seed and machine give the same output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .errors import KernelError
from .hw.profiles import PROFILES
from .kernel.trace import to_json


class CommandError(Exception):
    """A command-line mistake: its message is printed as one line, with a non-zero exit."""


def add_commands(sub: Any) -> None:
    """Add the `run` and `trace` subcommands to an argparse subparsers object."""
    run = sub.add_parser("run", help="run a named scenario and print its trace")
    _common(run)
    run.add_argument("--quiet", action="store_true", help="print only the header and summary")
    trace = sub.add_parser("trace", help="write a scenario's trace as JSON or Chrome format")
    _common(trace)
    trace.add_argument(
        "--format",
        default="json",
        choices=("json", "chrome"),
        help="json: the event list; chrome: the trace-event format (Perfetto)",
    )
    trace.add_argument("-o", "--output", required=True, help="file to write")  # fmt: skip


def _common(parser: argparse.ArgumentParser) -> None:
    """Add the arguments `run` and `trace` share."""
    parser.add_argument("scenario", help="a scenario name, e.g. client-server")
    parser.add_argument("--seed", default="0", help="seed of the scenario's choices (an int)")
    parser.add_argument("--steps", default="10000", help="step budget (an int)")
    parser.add_argument("--machine", default="i486", help="machine profile name")


def build(args: argparse.Namespace) -> tuple[Any, int, int]:
    """Return (system, seed, steps) for the arguments, or raise CommandError saying why not."""
    from .scenarios import SCENARIOS

    if args.scenario not in SCENARIOS:
        raise CommandError(
            f"unknown scenario {args.scenario!r}: choose one of {', '.join(SCENARIOS)}"
        )
    seed = _int(args.seed, "--seed")
    steps = _int(args.steps, "--steps")
    if steps < 0:
        raise CommandError(f"--steps must not be negative, not {steps}")
    if args.machine.lower() not in PROFILES and args.machine not in ("486", "mips", "alpha"):
        raise CommandError(f"unknown machine {args.machine!r}: choose one of {', '.join(PROFILES)}")
    try:
        system = SCENARIOS[args.scenario].build(seed=seed, machine=args.machine)
    except KernelError as e:
        raise CommandError(str(e)) from None
    return system, seed, steps


def _int(text: str, flag: str) -> int:
    """Return `text` as an int, or raise CommandError naming the flag."""
    try:
        return int(text)
    except ValueError:
        raise CommandError(f"{flag} takes a whole number, not {text!r}") from None


def run_command(args: argparse.Namespace) -> int:
    """Run a scenario and print the header, the trace and the summary; return 0."""
    from .scenarios import SCENARIOS

    system, seed, steps = build(args)
    print(f"mkteach run {args.scenario}  --seed {seed}  --machine {system.profile.name}"
          f"  --steps {steps}")  # fmt: skip
    print(f"  {SCENARIOS[args.scenario].description}")
    print(f"  machine: {system.profile.name} at {system.profile.clock_mhz:g} MHz, "
          f"{system.machine.variant.name} kernel, {system.frames} frames")  # fmt: skip
    print()
    first = system.steps  # the set-up steps the scenario already took
    summary = system.run(max_steps=steps)
    if not args.quiet:
        for event in system.trace:
            if event.step >= first:
                print(event)
        print()
    print(summary)
    print(f"Clock: {system.cycles:,} cycles = {system.now_us:,.2f} us")
    return 0


def trace_command(args: argparse.Namespace) -> int:
    """Run a scenario and write its trace to the output file; return 0."""
    system, _, steps = build(args)
    system.run(max_steps=steps)
    if args.format == "chrome":
        text = json.dumps(system.trace_chrome(args.scenario))
    else:
        text = to_json(system.trace)
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise CommandError(f"cannot write {args.output}: {e.strerror or e}") from None
    print(f"wrote {len(system.trace)} events of {args.scenario} to {args.output} ({args.format})")
    return 0
