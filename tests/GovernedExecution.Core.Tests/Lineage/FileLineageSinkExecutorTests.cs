using System.Text.Json;
using GovernedExecution.Execution;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Lineage;

/// <summary>The file sink as the executor's required sink: concurrency, durability before invocation, and disk faults.</summary>
public sealed class FileLineageSinkExecutorTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Eight_writers_of_ten_thousand_executions_give_a_valid_gap_free_file_with_the_exact_count()
    {
        const int Writers = 8, PerWriter = 10_000;
        await using (var host = new LineageExecutorHost(_log, o => o.CheckpointEveryRecords = 1000))
        {
            var ran = 0;
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    await host.Executor.RunAsync(GovernedTestHost.Intent("read", $"ticket-{w}-{i}"), (ctx, ct) =>
                    {
                        Interlocked.Increment(ref ran);
                        return ValueTask.FromResult(0);
                    });
                }
            })));
            Assert.Equal(Writers * PerWriter, ran);
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());

        var byKind = new Dictionary<string, int>();
        var executions = new HashSet<string>();
        foreach (var line in File.ReadLines(_log.Path))
        {
            var root = JsonDocument.Parse(line).RootElement;
            var kind = root.GetProperty("kind").GetString()!;
            byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            if (kind == "execution_completed")
            {
                executions.Add(root.GetProperty("exec").GetString()!);
            }
        }

        Assert.Equal(Writers * PerWriter, executions.Count);
        foreach (var kind in new[] { "intent_submitted", "policy_evaluated", "artifact_issued", "artifact_verified", "execution_started", "execution_completed" })
        {
            Assert.Equal(Writers * PerWriter, byKind[kind]);
        }

        Assert.Equal(result.Records, byKind.Values.Sum());
        Assert.Equal(6L * Writers * PerWriter, result.Records - result.Checkpoints);
    }

    [Fact]
    public async Task With_BeforeInvoke_the_pre_execution_records_are_on_disk_when_the_delegate_runs()
    {
        await using var host = new LineageExecutorHost(_log);
        for (var i = 0; i < 20; i++)
        {
            await host.Executor.RunAsync(GovernedTestHost.Intent(), (ctx, ct) =>
            {
                // Read through a separate handle: what the disk has, not what the writer holds.
                var started = ReadShared(_log.Path).Any(l => l.Contains(ctx.ExecutionId.ToString("D"), StringComparison.Ordinal) && l.Contains("\"kind\":\"execution_started\"", StringComparison.Ordinal));
                Assert.True(started, "the execution_started record is not on disk when the delegate runs");
                return ValueTask.FromResult(0);
            });
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_disk_or_a_failed_fsync_denies_and_the_delegate_does_not_run_and_nothing_acknowledged_is_lost(bool failSync)
    {
        var faults = new FaultySegments(healthyWrites: 5, failSync: failSync, failWrite: !failSync);
        var ran = new List<Guid>();
        var denied = 0;
        await using (var host = new LineageExecutorHost(_log, o => o.OpenSegment = faults.Open))
        {
            for (var i = 0; i < 20; i++)
            {
                var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), (ctx, ct) =>
                {
                    ran.Add(ctx.ExecutionId);
                    return ValueTask.FromResult(0);
                });
                if (outcome.IsDenied)
                {
                    Assert.Equal(DenialReason.LineageUnavailable, outcome.Denial!.Reason);
                    denied++;
                }
                else
                {
                    Assert.True(outcome.IsSuccess);
                }
            }
        }

        // Healthy writes: the first executions ran (two flushes each); once the disk failed, everything was denied.
        Assert.NotEmpty(ran);
        Assert.Equal(20 - ran.Count, denied);
        Assert.True(denied >= 15, $"{denied} denied");

        // The records after the last checkpoint are not signed: reopening refuses them unless told to adopt them.
        Assert.Throws<InvalidDataException>(() => _log.Open());

        // Reopening repairs the half-written tail; every execution that ran has its acknowledged records.
        await using (var reopened = _log.Open(o => o.AdoptUnsignedTail = true))
        {
        }

        var result = _log.Verify();
        Assert.True(result.IsValid, result.ToString());
        var lines = _log.Lines();
        foreach (var execution in ran)
        {
            Assert.Contains(lines, l => l.Contains(execution.ToString("D"), StringComparison.Ordinal) && l.Contains("\"kind\":\"execution_started\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_disk_slower_than_the_dependency_timeout_denies_without_running_the_delegate()
    {
        var slow = new SlowSegments(TimeSpan.FromMilliseconds(300));
        await using var host = new LineageExecutorHost(_log, o => o.OpenSegment = slow.Open, TimeProvider.System, TimeSpan.FromMilliseconds(20));
        var ran = false;
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), (ctx, ct) =>
        {
            ran = true;
            return ValueTask.FromResult(0);
        });

        Assert.False(ran);
        Assert.True(outcome.IsDenied);
        Assert.Equal(DenialReason.LineageUnavailable, outcome.Denial!.Reason);
    }

    [Fact]
    public async Task A_slow_disk_within_the_timeout_delays_but_the_delegate_runs_only_after_the_flush()
    {
        var slow = new SlowSegments(TimeSpan.FromMilliseconds(30));
        await using var host = new LineageExecutorHost(_log, o => o.OpenSegment = slow.Open);
        var outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent(), (ctx, ct) =>
        {
            Assert.Contains(ReadShared(_log.Path), l => l.Contains(ctx.ExecutionId.ToString("D"), StringComparison.Ordinal) && l.Contains("\"kind\":\"execution_started\"", StringComparison.Ordinal));
            return ValueTask.FromResult(1);
        });
        Assert.True(outcome.IsSuccess);
    }

    private static List<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
