#!/usr/bin/env python3
"""Regenerates the throughput tables from benchmarks/results/throughput.csv (the CSV that BenchmarkDotNet writes for
ThroughputBenchmarks, copied as is). Writes the table between the markers
<!-- throughput-table:begin --> and <!-- throughput-table:end --> in README.md and benchmarks/results/throughput.md.

    python3 benchmarks/results/throughput_table.py
"""
import csv
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CSV = ROOT / "benchmarks" / "results" / "throughput.csv"
TARGETS = [ROOT / "README.md", ROOT / "benchmarks" / "results" / "throughput.md"]
BEGIN, END = "<!-- throughput-table:begin -->", "<!-- throughput-table:end -->"
UNITS = {"ns": 1e-3, "us": 1.0, "μs": 1.0, "ms": 1e3, "s": 1e6}


def microseconds(text):
    number, unit = text.replace(",", "").split()
    return float(number) * UNITS[unit]


def table():
    rows = list(csv.DictReader(CSV.open(encoding="utf-8")))
    cells = {}
    for row in rows:
        cells[(int(row["Callers"]), row["Signing"], row["Lineage"])] = (microseconds(row["Mean"]), row.get("Allocated", ""))
    columns = [(s, l) for l in ("file", "memory") for s in ("PerArtifact", "Batched")]
    header = "| callers | " + " | ".join(
        f"{'per-artifact' if s == 'PerArtifact' else 'batched'}, {'file lineage (durable)' if l == 'file' else 'in-memory lineage'}"
        for s, l in columns) + " |"
    lines = [header, "|---:|" + "---:|" * len(columns)]
    for callers in sorted({k[0] for k in cells}):
        out = []
        for s, l in columns:
            if (callers, s, l) not in cells:
                out.append("")
                continue
            us, allocated = cells[(callers, s, l)]
            out.append(f"{us:,.1f} us/call, {1e6 / us:,.0f} calls/s")
        lines.append(f"| {callers} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main():
    generated = f"{BEGIN}\n{table()}\n{END}"
    for target in TARGETS:
        text = target.read_text(encoding="utf-8")
        if BEGIN not in text:
            raise SystemExit(f"{target}: no {BEGIN} marker")
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: generated, text, flags=re.S)
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
