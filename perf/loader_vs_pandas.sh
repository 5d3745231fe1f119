#!/usr/bin/env bash
# Loads a 20M-line ratings CSV with metarec and with pandas.read_csv (Debian's python3-pandas),
# side by side, and prints time and peak memory for each. Needs a Release build in build/.
#   perf/loader_vs_pandas.sh [ROWS]     (default 20000000; the CSV is cached in $TMPDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-20000000}
csv=${TMPDIR:-/tmp}/metarec_ratings_${rows}.csv
bench=build/perf/bench_loader
[ -x "$bench" ] || { echo "build first: cmake --build build --target bench_loader" >&2; exit 1; }
/usr/bin/python3 -c "import pandas" 2>/dev/null || { echo "needs python3-pandas (apt-get install python3-pandas)" >&2; exit 1; }
[ -f "$csv" ] || "$bench" --write "$csv" --rows "$rows"
echo "file: $csv ($(du -h "$csv" | cut -f1))"
cat "$csv" > /dev/null  # warm the page cache for both readers
echo "metarec: $("$bench" "$csv")"
/usr/bin/python3 - "$csv" <<'PY'
import json, resource, sys, time
import pandas as pd
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
arrays = df.memory_usage(index=False, deep=False).sum() / 2**20
print("pandas: " + json.dumps({"rows": len(df), "seconds": round(secs, 3), "frame_mib": round(arrays, 1),
                               "peak_rss_mib": round(peak, 1), "rss_before_mib": round(before, 1),
                               "pandas": pd.__version__}))
PY
