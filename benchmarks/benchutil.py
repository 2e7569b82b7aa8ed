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
