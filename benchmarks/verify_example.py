"""How long `bnlint verify` takes to confirm the bundled example's findings, and its peak memory.

Interleaved rounds, each timing three whole processes on this machine: `import tensorflow` alone (the floor: no
verify can be faster), `bnlint verify examples/train_buggy.py` and `bnlint verify examples/train_fixed.py`.
Prints the median, min and max seconds and the peak resident memory of each (the process and its children).

    python benchmarks/verify_example.py [--rounds 5] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Times one command in a fresh process and reports its wall seconds and the peak RSS of everything it ran.
_PROBE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "seconds = time.perf_counter() - start\n"
    "print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status)\n"
)


def measure(command: list[str]) -> tuple[float, float, int]:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_USE_LEGACY_KERAS="1")
    output = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], capture_output=True, text=True, cwd=ROOT, env=environment
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024, int(output[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    verify = [sys.executable, "-m", "bnlint", "verify", "--steps", str(args.steps)]
    commands = {
        "import tensorflow (floor)": [sys.executable, "-c", "import tensorflow"],
        "verify train_buggy.py": [*verify, "examples/train_buggy.py"],
        "verify train_fixed.py": [*verify, "examples/train_fixed.py"],
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            results[name].append(measure(command))
    print(f"{args.rounds} interleaved rounds, --steps {args.steps}, {os.cpu_count()} CPUs")
    print("| command | wall s median (min-max) | peak RSS MB | exit status |")
    print("|---|---|---:|---:|")
    for name, samples in results.items():
        seconds = [sample[0] for sample in samples]
        print(
            f"| {name} | {statistics.median(seconds):.2f} ({min(seconds):.2f}-{max(seconds):.2f}) |"
            f" {max(sample[1] for sample in samples):.0f} | {samples[-1][2]} |"
        )


if __name__ == "__main__":
    main()
