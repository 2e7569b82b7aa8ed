"""What the benchmark scripts share: a child's own peak memory, and the PIN of their stores."""

# The office and worker stores of the benchmarks are encrypted like real ones, under this PIN.
BENCH_PIN = "bench-pin-2468"

# Pasted at the top of a child process's code: ``peak_kb()`` is that process's own peak RSS.
# VmHWM is this process image's own peak; on Linux ru_maxrss (and wait4's rusage) also count the
# parent's peak from before the exec, and the parent holds the whole benchmark's data.
PEAK = """
import resource
def peak_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""


# --- the table every benchmark prints ---------------------------------------------------------------

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


def as_installed() -> None:
    """Compile gridtui's bytecode first, as installing it does: a checkout may hold stale .pyc
    files or none (PYTHONDONTWRITEBYTECODE), and every child process would then time Python
    compiling gridtui's source (a tenth of a second of a cold start) instead of gridtui."""
    import compileall
    from pathlib import Path

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "gridtui"), quiet=1)


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: --quick (smaller sizes, the whole script in about a minute)
    and --json (the figures as a list of objects instead of the table). Every benchmark parses
    them first, so this is where gridtui is made ready to run as installed (:func:`as_installed`)."""
    as_installed()
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes: the whole script in about a minute")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, not as a table")
    return ap


class Figures:
    """Figures beside their floors, each measured in the same run, and the goal each is held to."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, figure: str, value: float, unit: str, floor: float | None = None, goal: str = "") -> None:
        ratio = value / floor if floor else None
        self.rows.append({"figure": figure, "unit": unit, "value": round(value, 3),
                          "floor": None if floor is None else round(floor, 3),
                          "ratio": None if ratio is None else round(ratio, 2), "goal": goal})

    def note(self, text: str) -> None:
        print(text, file=sys.stderr)

    def show(self, as_json: bool) -> None:
        if as_json:
            print(json.dumps(self.rows, ensure_ascii=False, indent=1))
            return
        head = ("figure", "floor", "value", "ratio", "goal")
        cells = [head] + [(r["figure"], "" if r["floor"] is None else f"{r['floor']:g} {r['unit']}",
                           f"{r['value']:g} {r['unit']}", "" if r["ratio"] is None else f"{r['ratio']:.2f}×",
                           r["goal"]) for r in self.rows]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
        for n, c in enumerate(cells):
            print(" | ".join(x.ljust(w) if i in (0, 4) else x.rjust(w) for i, (x, w) in enumerate(zip(c, widths))))
            if n == 0:
                print("-+-".join("-" * w for w in widths))
