using System.Globalization;
using System.Text;
using GovernedExecution.Cli;
using GovernedExecution.Lineage;
using GovernedExecution.Tests.Lineage;
using Xunit.Abstractions;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// <c>lineage show</c> and <c>lineage prove</c> read a log in memory that does not grow with it: the peak live heap of
/// a run over a log four times as long stays about the same (a ratio between two real logs, not a size threshold).
/// The runs are alone in the process, so that the heap measured is theirs.
/// </summary>
[Collection(nameof(LineageMemoryTests))]
public sealed class LineageMemoryTests(LargeLineageLogs logs, ITestOutputHelper console)
{
    /// <summary>What the heap may vary by between two runs whatever the log's size (buffers, the runtime's own).</summary>
    private const long Slack = 8 << 20;

    [Fact]
    public async Task Lineage_show_memory_does_not_grow_with_the_log()
    {
        var small = await PeakGrowthAsync("lineage", "show", logs.Small.Path);
        var large = await PeakGrowthAsync("lineage", "show", logs.Large.Path);

        AssertBounded("show", small, large);
    }

    [Fact]
    public async Task Lineage_prove_inclusion_memory_does_not_grow_with_the_log()
    {
        var small = await PeakGrowthAsync("lineage", "prove", logs.Small.Path, "--sequence", "5", "--trust", logs.SmallKey);
        var large = await PeakGrowthAsync("lineage", "prove", logs.Large.Path, "--sequence", "5", "--trust", logs.LargeKey);

        AssertBounded("prove --sequence", small, large);
    }

    [Fact]
    public async Task Lineage_prove_consistency_memory_does_not_grow_with_the_log()
    {
        var first = (LargeLineageLogs.CheckpointEvery + 1).ToString(CultureInfo.InvariantCulture);
        var small = await PeakGrowthAsync("lineage", "prove", logs.Small.Path, "--from-checkpoint", first, "--trust", logs.SmallKey);
        var large = await PeakGrowthAsync("lineage", "prove", logs.Large.Path, "--from-checkpoint", first, "--trust", logs.LargeKey);

        AssertBounded("prove --from-checkpoint", small, large);
    }

    private void AssertBounded(string command, long small, long large)
    {
        var figures = $"{command}: peak live heap growth {small / 1024} KiB at {LargeLineageLogs.SmallRecords} records, {large / 1024} KiB at {LargeLineageLogs.SmallRecords * 4}";
        console.WriteLine(figures);
        Assert.True(large < (2 * small) + Slack, figures);
    }

    /// <summary>Runs govexec in process while another thread samples the live heap (after a full collection); returns the peak above the start.</summary>
    private static async Task<long> PeakGrowthAsync(params string[] args)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var done = false;
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                Thread.Sleep(5);
            }
        })
        { IsBackground = true };
        sampler.Start();
        using var output = new TailWriter();
        using var error = new StringWriter();
        int code;
        try
        {
            code = await GovexecApp.RunAsync(args, output, error, CancellationToken.None);
        }
        finally
        {
            Volatile.Write(ref done, true);
            sampler.Join();
        }

        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.True(output.Lines > 0);
        return peak - baseline;
    }

    /// <summary>Keeps only a bounded part of what it is given: the output of <c>show</c> grows with the log, and is not what is measured.</summary>
    private sealed class TailWriter : TextWriter
    {
        private readonly StringBuilder _tail = new();

        public override Encoding Encoding => Encoding.UTF8;

        internal long Lines { get; private set; }

        public override void Write(char value)
        {
            if (value == '\n')
            {
                Lines++;
            }

            if (_tail.Length > 4096)
            {
                _tail.Clear();
            }

            _tail.Append(value);
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? string.Empty)
            {
                Write(c);
            }
        }

        public override string ToString() => _tail.ToString();
    }
}

[CollectionDefinition(nameof(LineageMemoryTests), DisableParallelization = true)]
public sealed class LineageMemoryRuns : ICollectionFixture<LargeLineageLogs>;

/// <summary>
/// Two real logs of the same shape, one four times as long as the other: executions of four records (intent, policy,
/// start, completion; every tenth nested in the one before), a signed checkpoint every few records, as a quiet service
/// with a time-based checkpoint writes them.
/// </summary>
public sealed class LargeLineageLogs : IDisposable
{
    internal const int SmallRecords = 40_000;
    internal const int CheckpointEvery = 8;

    public LargeLineageLogs()
    {
        Small = Write(new LineageTestLog(), SmallRecords);
        Large = Write(new LineageTestLog(), SmallRecords * 4);
        SmallKey = PublicKey(Small);
        LargeKey = PublicKey(Large);
    }

    internal LineageTestLog Small { get; }

    internal LineageTestLog Large { get; }

    internal string SmallKey { get; }

    internal string LargeKey { get; }

    public void Dispose()
    {
        Small.Dispose();
        Large.Dispose();
    }

    private static string PublicKey(LineageTestLog log)
    {
        var path = System.IO.Path.Combine(log.Directory, "pub.pem");
        File.WriteAllText(path, log.Trusted[0].ExportPublicKeyPem());
        return path;
    }

    private static LineageTestLog Write(LineageTestLog log, int records)
    {
        using (var sink = log.Open(o =>
        {
            o.Durability = LineageDurability.Buffered;
            o.CheckpointEveryRecords = CheckpointEvery;
            o.QueueCapacity = 1 << 16;
        }))
        {
            var time = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
            Guid? previous = null;
            for (var i = 0; i < records / 4; i++)
            {
                var id = Guid.NewGuid();
                Guid? parent = i % 10 == 9 ? previous : null;
                var at = time.AddMilliseconds(i);
                sink.AppendAsync(
                [
                    new LineageEvent(LineageEventKind.IntentSubmitted, id, parent, at, [new("principal", "Agent::\"bot\""), new("action", "Action::\"read\""), new("resource", "Ticket::\"t-" + i.ToString(CultureInfo.InvariantCulture) + "\"")]),
                    new LineageEvent(LineageEventKind.PolicyEvaluated, id, parent, at, [new("decision", "Permitted"), new("policies", "allow-read")]),
                    new LineageEvent(LineageEventKind.ExecutionStarted, id, parent, at, []),
                    new LineageEvent(LineageEventKind.ExecutionCompleted, id, parent, at, [new("duration_us", "12")]),
                ], CancellationToken.None).AsTask().GetAwaiter().GetResult();
                previous = id;
            }
        }

        return log;
    }
}
