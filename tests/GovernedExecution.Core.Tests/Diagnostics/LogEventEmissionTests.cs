using GovernedExecution.DependencyInjection;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Lineage;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>
/// Each documented log event is emitted where docs/operations.md says. Events 1000 to 1003 are driven in
/// ExecutorLoggingTests, 1005 in RequiredLineageTests, 1006 in HostingTests, 1102 in LoggerLineageSinkTests, 1103 and
/// 1105 in FileLineageSinkTests; the others here.
/// </summary>
public sealed class LogEventEmissionTests : IDisposable
{
    private readonly CapturingLoggerFactory _logs = new();
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public void Event_1004_an_executor_built_standalone_with_no_policies_warns_once()
    {
        using var key = GovernedExecution.Artifacts.Keys.SigningKey.Generate();

        new GovernedExecutorBuilder()
            .Configure(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(new CedarPolicyEvaluator(CedarPolicySet.Parse(string.Empty, "empty.cedar")))
            .UseSigningKey(key)
            .UseTrustedKeys(key.ToTrustedKey())
            .AddLineageSink(new InMemoryLineageSink())
            .UseLoggerFactory(_logs)
            .Build();

        var entry = Assert.Single(_logs.Entries);
        Assert.Equal(1004, entry.EventId);
        Assert.Equal(LogLevel.Warning, entry.Level);
    }

    [Fact]
    public async Task Event_1100_a_torn_last_line_cut_on_open_is_logged_with_its_size_and_offset()
    {
        await _log.WriteAsync(3);
        var before = new FileInfo(_log.Path).Length;
        await File.AppendAllTextAsync(_log.Path, "{\"v\":1,\"log\":");

        await using (var sink = _log.Open(o => o.Logger = _logs.CreateLogger("lineage")))
        {
        }

        var repaired = Assert.Single(_logs.Entries, e => e.EventId == 1100);
        Assert.Equal(LogLevel.Warning, repaired.Level);
        Assert.Equal(13L, Convert.ToInt64(repaired.State["Bytes"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before, Convert.ToInt64(repaired.State["Offset"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Event_1101_a_failed_write_of_a_BeforeInvoke_sink_is_logged_as_an_error()
    {
        var disk = new DiskFullSegments();
        await using (var sink = _log.Open(o => { o.OpenSegment = disk.Open; o.Logger = _logs.CreateLogger("lineage"); }))
        {
            await sink.FlushAsync();
            disk.Fill();
            await Assert.ThrowsAnyAsync<Exception>(() => sink.AppendAsync([LineageTestLog.Event(0)], CancellationToken.None).AsTask());
        }

        var faulted = Assert.Single(_logs.Entries, e => e.EventId == 1101);
        Assert.Equal(LogLevel.Error, faulted.Level);
        Assert.IsAssignableFrom<IOException>(faulted.Exception);
    }

    [Fact]
    public async Task Event_1104_the_records_lost_record_a_Buffered_sink_writes_once_it_can_is_logged()
    {
        var disk = new DiskFullSegments();
        await using (var sink = _log.Open(o => { o.Durability = LineageDurability.Buffered; o.OpenSegment = disk.Open; o.Logger = _logs.CreateLogger("lineage"); }))
        {
            await sink.FlushAsync();
            disk.Fill();
            await sink.AppendAsync([LineageTestLog.Event(0)], CancellationToken.None);
            await Assert.ThrowsAsync<IOException>(() => sink.FlushAsync().AsTask());
            disk.Free();
            await sink.AppendAsync([LineageTestLog.Event(1)], CancellationToken.None);
            await sink.FlushAsync();
        }

        var recorded = Assert.Single(_logs.Entries, e => e.EventId == 1104);
        Assert.Equal(LogLevel.Warning, recorded.Level);
        Assert.Equal(1L, Convert.ToInt64(recorded.State["Count"], System.Globalization.CultureInfo.InvariantCulture));
    }
}
