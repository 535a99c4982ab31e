"""What a benchmark prints about the machine it ran on, shared by the benchmark scripts.

On a shared machine other work skews every figure, so each script prints the load
average at the start and at the end of its run next to its results.
"""

from __future__ import annotations

import os
import platform


def machine() -> str:
    """CPU count and model, Python version, operating system."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())
