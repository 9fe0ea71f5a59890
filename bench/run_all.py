"""Run every benchmark in bench/, one after the other, each printing its own ratios.

Run: python bench/run_all.py [--quick]   (--quick uses smaller sizes for a fast look)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK_ARGS = {
    "bench_import.py": ["--leads", "100000"],
    "bench_intake_http.py": ["--seconds", "10"],
    "bench_sla.py": ["--clocks", "100000", "--lag-clocks", "100"],
    "bench_simulator.py": ["--quick"],
    "bench_metrics.py": ["--journeys", "100000", "--events", "1000000"],
    "bench_soak.py": ["--minutes", "1"],
}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n== {script.name} ==", flush=True)
        args = QUICK_ARGS.get(script.name, []) if quick else []
        if subprocess.run([sys.executable, str(script), *args], cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
