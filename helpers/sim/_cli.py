"""What the simulators' command lines share (stdlib only): ``python -m helpers.sim.<model>``
with a ``-s`` seed, and the exercise text printed when the answer is not asked for."""
from __future__ import annotations

import argparse


def simulator_parser(model: str, description: str, seed_help: str) -> argparse.ArgumentParser:
    """The parser of ``python -m helpers.sim.<model>``, with its ``-s/--seed`` option."""
    parser = argparse.ArgumentParser(prog=f"python -m helpers.sim.{model}", description=description)
    parser.add_argument("-s", "--seed", type=int, default=0, help=seed_help)
    return parser
