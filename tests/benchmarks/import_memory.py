"""Memory of checking a 50 MB customer CSV, above the same process idle after set-up."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_MB = 50

CHECK = r"""
import resource, sys, time
import django
django.setup()
from pathlib import Path
from tenants.importing import import_check
idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
summary = import_check(Path(sys.argv[1]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(summary.rows, summary.new, summary.error_count, seconds, idle, peak)
"""


def csv_write(path: Path, megabytes: int = TARGET_MB) -> int:
    """A valid file of about ``megabytes`` MB: every row a new customer with two members."""
    size, rows = 0, 0
    with path.open("w") as out:
        out.write("name,slug,country,address,city,post_code,tax_number,access_mode,members\n")
        while size < megabytes * 1024 * 1024:
            line = (
                f"Customer {rows} d.o.o.,customer-{rows},Slovenia,Dunajska cesta {rows},"
                f"Ljubljana,1000,SI{rows:08d},user,"
                f"a{rows}@example.com:admin;b{rows}@example.com:viewer\n"
            )
            out.write(line)
            size += len(line)
            rows += 1
    return rows


def import_memory(env: dict, workdir: Path) -> dict:
    path = workdir / "customers.csv"
    rows = csv_write(path)
    out = subprocess.run(
        [sys.executable, "-c", CHECK, str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout.split()
    checked, new, errors = map(int, out[:3])
    seconds, idle_kb, peak_kb = map(float, out[3:])
    assert (checked, new, errors) == (rows, rows, 0), out
    return {
        "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
        "rows": rows,
        "rows_per_s": round(rows / seconds),
        "idle_rss_mb": round(idle_kb / 1024, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "above_idle_mb": round((peak_kb - idle_kb) / 1024, 1),
    }
