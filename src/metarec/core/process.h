// Process-wide settings that only take effect when a process starts: the CLI and the perf/
// benchmarks call prepare_process() first thing in main(), so both run under the same conditions.
#pragma once

namespace metarec {

/// Two settings only take effect when the process starts, so this sets them and re-executes the
/// program once (same pid, same arguments; returns normally when nothing needed setting, or when
/// the re-execution fails):
/// - Page faults are slow on the virtual machines metarec runs on (15-21 us per 4 KiB page here:
///   64 MiB first-touched in 250 ms, against 7.4 ms on transparent huge pages), and with the
///   kernel's THP mode "madvise" glibc's malloc only asks for huge pages when the tunable
///   glibc.malloc.hugetlb=1 is set. Measured: an EASE fit on ML-1M 3.2-3.6 s -> 2.4 s; the fixed
///   cost of an SGD fit on ML-100K 25 -> 14 ms. METAREC_THP=0 opts out.
/// - Debian's pthread OpenBLAS starts one worker per core when the library loads, and the workers
///   spin (sched_yield) for about 0.1 s before they sleep, on the cores metarec's own threads need:
///   a one-thread KNN evaluation on ML-100K spent 0.14 s of system time on it, against 0.03 s with
///   OPENBLAS_NUM_THREADS=1. So metarec starts OpenBLAS with one thread unless the variable is set;
///   the few large products that gain from BLAS threads (EASE's inverse) raise the count for
///   themselves (ScopedBlasThreads), and OpenBLAS adds workers on demand.
void prepare_process(char** argv);

}  // namespace metarec
