"""Peak memory (RSS) of the leads export at 100,000 leads: proof that it streams.

    .venv/bin/python scripts/export_rss.py                 # 100,000 leads, CSV and XLSX
    .venv/bin/python scripts/export_rss.py --leads 20000 --formats csv

Builds a throwaway SQLite database (bulk demo leads, `leads.demo.bulk_leads`) once, then runs
each export in a fresh Python process that logs in with the test client, reads the whole
streamed download and prints its RSS before the request and its peak RSS by the last byte
(Linux: /proc/self/status, the peak reset after the warm-up through /proc/self/clear_refs).
The difference is what the export itself holds; it stays flat as the number of leads grows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(db: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create(db: Path, leads: int) -> None:
    _setup(db)
    from django.core.management import call_command

    from accounts.models import Center, Role, User
    from leads.demo import bulk_leads

    call_command("migrate", verbosity=0)
    center = Center.objects.create(name="The Little Gym Gurgaon", code="TLGC", city="Gurgaon")
    counselor = User.objects.create(username="counselor", role=Role.COUNSELOR, first_name="Neha")
    counselor.add_to_center(center)
    started = time.perf_counter()
    bulk_leads(center, leads, by=counselor, seed=1, chunk=5000)
    print(f"created {leads:,} leads in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process, from /proc (Linux), in MB.

    Not `getrusage().ru_maxrss`: Linux carries it over from the parent through fork and exec, so
    a child of a big process would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(db: Path, fmt: str) -> dict:
    _setup(db)
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="counselor"))
    # An empty export first: imports, session and the writer's setup are in the baseline.
    b"".join(client.get(f"/leads/export.{fmt}", {"q": "no-such-lead"}).streaming_content)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the RSS of now
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    response = client.get(f"/leads/export.{fmt}")
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    after = _status_mb("VmHWM")
    return {
        "format": fmt,
        "bytes": size,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_before_mb": round(before, 1),
        "peak_rss_after_mb": round(after, 1),
        "export_mb": round(after - before, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--db", type=Path, help="Reuse (or create) this SQLite file.")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / f"export-rss-{args.leads}.sqlite3"
    if args.measure:
        print(json.dumps(measure(db, args.measure)))
        return
    if not db.exists():
        create(db, args.leads)
    for fmt in args.formats:
        child = [sys.executable, __file__, "--db", str(db), "--leads", str(args.leads), "--measure", fmt]
        result = subprocess.run(child, capture_output=True, text=True, check=True, cwd=ROOT)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{args.leads:,} leads, {fmt}: {figures['bytes'] / 1e6:.1f} MB in {figures['seconds']} s; "
            f"RSS {figures['peak_rss_before_mb']} MB before the request, "
            f"peak {figures['peak_rss_after_mb']} MB by the last byte (+{figures['export_mb']} MB)"
        )


if __name__ == "__main__":
    main()
