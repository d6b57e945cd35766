"""What the simulators' command lines share (stdlib only): ``python -m helpers.sim.<model>``
with a ``-s`` seed and ``-c`` for the answer (without it, each simulator prints its exercise)."""
from __future__ import annotations

import argparse


def simulator_parser(model: str, description: str, seed_help: str) -> argparse.ArgumentParser:
    """The parser of ``python -m helpers.sim.<model>``, with ``-s/--seed`` and ``-c`` (solve)."""
    parser = argparse.ArgumentParser(prog=f"python -m helpers.sim.{model}", description=description)
    parser.add_argument("-s", "--seed", type=int, default=0, help=seed_help)
    parser.add_argument("-c", dest="solve", action="store_true", help="show the answer")
    return parser


def print_answer(trace_text: str, stats_text: str | None) -> int:
    """Print a solved run (``-c``): the trace, then the statistics (if any) between blank lines.
    Returns the command's exit code, 0."""
    print(trace_text)
    if stats_text is not None:
        print()
        print(stats_text)
        print()
    return 0
