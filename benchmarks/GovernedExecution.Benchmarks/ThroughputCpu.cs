using System.Diagnostics;
using System.Globalization;
using GovernedExecution.Artifacts;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// The throughput workload of <see cref="ThroughputBenchmarks"/> measured by the processor time the process spends per
/// governed call as well as by the wall clock. On a machine shared with other work the wall clock measures the share
/// of the cores this process got; processor time per call is what the call costs, and 2 cores / processor time per call
/// is the rate an otherwise idle 2-core machine would reach. Each line also says how many artifact signatures the
/// measured calls took and how many artifacts each covered on average (the <c>governed_execution.artifact.batch_size</c>
/// histogram, through a <see cref="System.Diagnostics.Metrics.MeterListener"/>): batching saves only where batches form.
/// Writes one CSV line per case:
/// <c>dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- throughput-cpu FILE [CALLS [CALLERS SIGNING LINEAGE]]</c>
/// (the last three run one case only, for a profiler).
/// </summary>
internal static class ThroughputCpu
{
    internal static int Run(string file, int calls, (int Callers, ArtifactSigningMode Signing, string Lineage)? only = null)
    {
        using var output = new StreamWriter(file) { AutoFlush = true };
        using var batches = new ArtifactBatchMeter();
        output.WriteLine("Callers,Signing,Lineage,Calls,WallUsPerCall,CpuUsPerCall,Signatures,MeanBatchSize,LargestBatch,LoadAverage");
        foreach (var callers in new[] { 1, 8, 32, 64 })
        {
            foreach (var lineage in new[] { "file", "memory" })
            {
                foreach (var signing in new[] { ArtifactSigningMode.PerArtifact, ArtifactSigningMode.Batched })
                {
                    if (only is { } one && (one.Callers, one.Signing, one.Lineage) != (callers, signing, lineage))
                    {
                        continue;
                    }

                    var bench = new ThroughputBenchmarks { Callers = callers, Signing = signing, Lineage = lineage };
                    bench.Setup();
                    try
                    {
                        // Warm up until the code has tiered up (3 s and 4 rounds at least): a shorter warm-up measures code
                        // that is still being compiled, which costs several times the optimised code here.
                        var warming = Stopwatch.StartNew();
                        for (var w = 0; w < 4 || warming.Elapsed < TimeSpan.FromSeconds(3); w++)
                        {
                            bench.GovernedCalls().GetAwaiter().GetResult();
                        }

                        var rounds = Math.Max(1, calls / 1024);
                        batches.Reset();
                        var process = Process.GetCurrentProcess();
                        process.Refresh();
                        var cpu = process.TotalProcessorTime;
                        var wall = Stopwatch.StartNew();
                        for (var r = 0; r < rounds; r++)
                        {
                            bench.GovernedCalls().GetAwaiter().GetResult();
                        }

                        wall.Stop();
                        process.Refresh();
                        var signatures = batches.Signatures;
                        var meanBatch = batches.MeanBatchSize;
                        var largest = batches.Largest;
                        var total = rounds * 1024;
                        var line = string.Join(',',
                            callers, signing, lineage, total,
                            (wall.Elapsed.TotalMicroseconds / total).ToString("F1", CultureInfo.InvariantCulture),
                            ((process.TotalProcessorTime - cpu).TotalMicroseconds / total).ToString("F1", CultureInfo.InvariantCulture),
                            signatures,
                            meanBatch.ToString("F2", CultureInfo.InvariantCulture),
                            largest,
                            File.ReadAllText("/proc/loadavg").Split(' ')[0]);
                        output.WriteLine(line);
                        Console.WriteLine(line);
                    }
                    finally
                    {
                        bench.Cleanup();
                    }
                }
            }
        }

        return 0;
    }
}
