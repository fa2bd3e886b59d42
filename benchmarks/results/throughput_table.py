#!/usr/bin/env python3
"""Regenerates the throughput tables from benchmarks/results/throughput.csv (the CSV that BenchmarkDotNet writes for
ThroughputBenchmarks, copied as is: wall-clock time per call) and benchmarks/results/throughput-cpu.csv (what
`-- throughput-cpu` writes: processor time per call, and, from its Signatures and MeanBatchSize columns, how many
artifacts each artifact signature covered). Writes the table between the markers
<!-- throughput-table:begin --> and <!-- throughput-table:end --> in README.md and benchmarks/results/throughput.md.

    python3 benchmarks/results/throughput_table.py
"""
import csv
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CSV = ROOT / "benchmarks" / "results" / "throughput.csv"
CPU_CSV = ROOT / "benchmarks" / "results" / "throughput-cpu.csv"
TARGETS = [ROOT / "README.md", ROOT / "benchmarks" / "results" / "throughput.md"]
BEGIN, END = "<!-- throughput-table:begin -->", "<!-- throughput-table:end -->"
UNITS = {"ns": 1e-3, "us": 1.0, "μs": 1.0, "ms": 1e3, "s": 1e6}


def microseconds(text):
    number, unit = text.replace(",", "").split()
    return float(number) * UNITS[unit]


def table():
    wall = {}
    for row in csv.DictReader(CSV.open(encoding="utf-8")):
        wall[(int(row["Callers"]), row["Signing"], row["Lineage"])] = microseconds(row["Mean"])
    cpu = {}
    batches = {}
    if CPU_CSV.exists():
        for row in csv.DictReader(CPU_CSV.open(encoding="utf-8")):
            key = (int(row["Callers"]), row["Signing"], row["Lineage"])
            cpu[key] = float(row["CpuUsPerCall"])
            if row.get("Signatures") and row.get("MeanBatchSize"):
                batches[key] = (int(row["Signatures"]), float(row["MeanBatchSize"]))
    columns = [(s, l) for l in ("file", "memory") for s in ("PerArtifact", "Batched")]
    header = "| callers | " + " | ".join(
        f"{'per-artifact' if s == 'PerArtifact' else 'batched'}, {'file lineage (durable)' if l == 'file' else 'in-memory lineage'}"
        for s, l in columns) + " |"
    lines = [header, "|---:|" + "---:|" * len(columns)]
    for callers in sorted({k[0] for k in wall}):
        out = []
        for s, l in columns:
            key = (callers, s, l)
            cell = f"{wall[key]:,.0f} us wall ({1e6 / wall[key]:,.0f}/s)" if key in wall else ""
            if key in cpu:
                cell += f"; {cpu[key]:,.0f} us CPU ({2e6 / cpu[key]:,.0f}/s on 2 idle cores)"
            if key in batches:
                signatures, mean = batches[key]
                cell += f"; {signatures:,} signatures, {mean:,.1f} artifacts each"
            out.append(cell)
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
