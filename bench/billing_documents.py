"""Invoice PDF benchmark: billing.documents.pdf.render_pdf on the specimen invoice (billing.documents.samples).

Prints, for each font set (DejaVu from the system when installed, and the built-in fonts): PDFs per second for a
12-line invoice (best of 3 runs of N renders, in wall time and in CPU time of this process, which a loaded
machine distorts less), and the seconds for a 2,000-line invoice, with page counts and sizes.

    .venv/bin/python bench/billing_documents.py [--renders 200] [--long 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.documents.fonts import BUILTIN, FontSet, dejavu
from billing.documents.pdf import render_pdf
from billing.documents.samples import specimen


def timed(fonts: FontSet, lines: int, renders: int) -> tuple[float, float, bytes]:
    doc = specimen(lines)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(renders):
        pdf = render_pdf(doc, fonts=fonts)
    return time.perf_counter() - wall, time.process_time() - cpu, pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--long", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    sets = [("DejaVu", dejavu()), ("built-in", BUILTIN)]
    for name, fonts in sets:
        if fonts is None:
            print(f"{name}: not installed")
            continue
        render_pdf(specimen(12), fonts=fonts)  # warm up: font registration, imports
        runs = [timed(fonts, 12, args.renders) for _ in range(3)]
        wall = min(run[0] for run in runs)
        cpu = min(run[1] for run in runs)
        size = len(runs[0][2])
        print(f"{name:9} 12 lines: {args.renders / wall:6.1f} PDFs/s wall, {args.renders / cpu:6.1f} PDFs/s CPU "
              f"({size / 1024:.0f} KiB)")
        long_wall, long_cpu, pdf = min((timed(fonts, args.long, 1) for _ in range(2)), key=lambda run: run[0])
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ")
        print(f"{name:9} {args.long} lines: {long_wall:5.2f} s wall, {long_cpu:5.2f} s CPU "
              f"({pages} pages, {len(pdf) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
