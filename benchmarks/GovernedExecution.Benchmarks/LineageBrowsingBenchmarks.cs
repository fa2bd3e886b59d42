using BenchmarkDotNet.Attributes;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Testing;

namespace GovernedExecution.Benchmarks;

/// <summary>
/// The lineage explorer's queries on a 1,000,000-record valid log (real hash chain, checkpoints signed with ES256
/// every 1000 records), generated once into a temporary directory: the first page, a page filtered by principal (one
/// principal in 97), a page filtered by a rare outcome across the whole log, and an execution's page (the offset index
/// built once in the global setup, then extended).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class LineageBrowsingBenchmarks
{
    private const int Records = 1_000_000;
    private string _directory = string.Empty;
    private FileLineageBrowser? _browser;
    private Guid _old;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "govexec-browse-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        using var key = SigningKey.Generate();
        var path = Path.Combine(_directory, "lineage.jsonl");
        using (var log = new GeneratedLineageLog(path, key, checkpointEvery: 1000))
        {
            var previous = Guid.Empty;
            for (var i = 0; log.Records < Records; i++)
            {
                var e = GeneratedExecution.Sample(i, previous);
                log.Append(e);
                previous = e.Id;
                if (i == 1000)
                {
                    _old = e.Id;
                }
            }
        }

        _browser = (FileLineageBrowser)LineageBrowsers.OpenFiles([path]);
        _ = _browser.GetExecutionAsync(_old).AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// generated {new FileInfo(path).Length:N0} bytes, {Records:N0}+ records");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _browser?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public async Task<int> FirstPage() => (await _browser!.ListExecutionsAsync(new ExecutionQuery { PageSize = 50 })).Items.Count;

    [Benchmark]
    public async Task<int> FilteredByPrincipal() => (await _browser!.ListExecutionsAsync(new ExecutionQuery { PageSize = 50, Principal = "User::\"user-5\"" })).Items.Count;

    [Benchmark]
    public async Task<int> FilteredBySearch() => (await _browser!.ListExecutionsAsync(new ExecutionQuery { PageSize = 50, Search = "doc-1234" })).Items.Count;

    [Benchmark]
    public async Task<int> ExecutionPage() => (await _browser!.GetExecutionAsync(_old))!.Records.Count;
}
