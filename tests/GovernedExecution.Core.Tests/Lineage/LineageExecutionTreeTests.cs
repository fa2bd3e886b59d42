using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using GovernedExecution.Tests.Internal;

namespace GovernedExecution.Tests.Lineage;

public sealed class LineageExecutionTreeTests : IDisposable
{
    private readonly LineageTestLog _log = new();

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task Values_from_the_records_are_escaped_for_the_terminal()
    {
        // What an executor records verbatim from a caller's intent: a principal or resource id can hold anything.
        await using (var host = new LineageExecutorHost(_log))
        {
            await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read", resource: "t" + TerminalSafety.Hostile, principal: "bot" + TerminalSafety.Hostile), (c, t) => ValueTask.FromResult(0));
        }

        var text = LineageExecutionTree.Render([_log.Path], null);

        TerminalSafety.AssertSafe(text);
        Assert.Contains("botev\\u{202e}il", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nested_executions_show_under_their_parent_with_decision_reason_and_outcome()
    {
        Guid outer = default, inner = default;
        await using (var host = new LineageExecutorHost(_log))
        {
            await host.Executor.RunAsync(GovernedTestHost.Intent("read"), async (ctx, ct) =>
            {
                outer = ctx.ExecutionId;
                await host.Executor.RunAsync(GovernedTestHost.Intent("refund"), (c, t) => { inner = c.ExecutionId; return ValueTask.FromResult(0); }, ct);
                await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (c, t) => ValueTask.FromResult(0), ct);
                return 0;
            });
            await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("write"), (c, t) => ValueTask.FromResult(0));
        }

        var lines = LineageExecutionTree.Render([_log.Path], null).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith(outer.ToString("D"), lines[0], StringComparison.Ordinal);
        Assert.Contains("decision Permitted (allow-read)", lines[0], StringComparison.Ordinal);
        Assert.Contains("outcome completed", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("├─ " + inner.ToString("D"), lines[1], StringComparison.Ordinal);
        Assert.StartsWith("└─ ", lines[2], StringComparison.Ordinal);
        Assert.Contains("denied, reason PolicyDenied", lines[2], StringComparison.Ordinal);
        Assert.Contains("denied, reason NotPermitted", lines[3], StringComparison.Ordinal);
        Assert.Equal("4 execution(s)", lines[4]);

        var only = LineageExecutionTree.Render([_log.Path], inner.ToString("D")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(inner.ToString("D"), only[0], StringComparison.Ordinal);
        Assert.Equal(2, only.Length);
    }

    [Fact]
    public async Task A_revoked_execution_shows_its_cause_and_the_file_verifies()
    {
        GovernedOutcome<int> outcome;
        await using (var host = new LineageExecutorHost(_log))
        {
            outcome = await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) =>
            {
                ctx.Bound!.TryRevoke(RevocationCause.ExecutionRevoked);
                return ValueTask.FromResult(0);
            });
        }

        var lines = LineageExecutionTree.Render([_log.Path], null).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(GovernedOutcomeKind.Revoked, outcome.Kind);
        Assert.Contains("outcome revoked (execution_revoked), reason Revoked: the execution was revoked", lines[0], StringComparison.Ordinal);
        Assert.Equal("1 execution(s)", lines[^1]);
        Assert.True(_log.Verify().IsValid);
    }

    [Fact]
    public async Task An_unknown_execution_is_an_error()
    {
        await _log.WriteAsync(2);
        Assert.Throws<ArgumentException>(() => LineageExecutionTree.Render([_log.Path], Guid.NewGuid().ToString("D")));
    }

    [Fact]
    public async Task A_sealed_torn_line_is_skipped_and_an_unsealed_bad_line_is_an_error()
    {
        await _log.WriteAsync(3);
        await File.AppendAllTextAsync(_log.Path, "{\"v\":1,\"log\":\"x\",\"se");
        await _log.WriteAsync(2);
        Assert.Equal(5, LineageExecutionTree.Render([_log.Path], null).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);

        var lines = _log.Lines();
        await File.WriteAllLinesAsync(_log.Path, lines.Where(l => !l.Contains("\"kind\":\"repair\"", StringComparison.Ordinal)));
        Assert.Throws<InvalidDataException>(() => LineageExecutionTree.Render([_log.Path], null));
    }

    [Fact]
    public async Task Beyond_the_window_the_oldest_open_execution_is_shown_as_it_stands_and_its_later_records_apart()
    {
        var early = Guid.NewGuid();
        await using (var sink = _log.Open())
        {
            await sink.AppendAsync([LineageTestLog.Event(0, early)], CancellationToken.None);
            for (var i = 1; i <= 3; i++)
            {
                await sink.AppendAsync([LineageTestLog.Event(i)], CancellationToken.None);
            }

            await sink.AppendAsync([LineageTestLog.Event(4, early, kind: LineageEventKind.ExecutionCompleted)], CancellationToken.None);
        }

        var lines = LineageExecutionTree.Render([_log.Path], null, window: 2).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(6, lines.Length);
        Assert.StartsWith(early.ToString("D"), lines[0], StringComparison.Ordinal);
        Assert.Contains("outcome none recorded", lines[0], StringComparison.Ordinal);
        var later = Assert.Single(lines[1..], l => l.StartsWith(early.ToString("D"), StringComparison.Ordinal));
        Assert.Contains("outcome completed", later, StringComparison.Ordinal);
        Assert.Equal("5 execution(s)", lines[^1]);
    }

    [Fact]
    public async Task A_child_recorded_after_its_parent_was_shown_names_its_parent()
    {
        Guid parent = Guid.NewGuid(), child = Guid.NewGuid();
        await using (var sink = _log.Open())
        {
            await sink.AppendAsync([LineageTestLog.Event(0, parent), LineageTestLog.Event(1, parent, kind: LineageEventKind.ExecutionCompleted)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(2, child, parent), LineageTestLog.Event(3, child, parent, LineageEventKind.ExecutionDenied)], CancellationToken.None);
        }

        var lines = LineageExecutionTree.Render([_log.Path], null).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.StartsWith(parent.ToString("D") + "  |", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{child:D} (child of {parent:D})", lines[1], StringComparison.Ordinal);
        var only = LineageExecutionTree.Render([_log.Path], parent.ToString("D")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, only.Length);
    }

    [Fact]
    public async Task A_parent_done_before_a_late_nested_child_waits_for_it()
    {
        Guid root = Guid.NewGuid(), middle = Guid.NewGuid(), late = Guid.NewGuid();
        await using (var sink = _log.Open())
        {
            await sink.AppendAsync([LineageTestLog.Event(0, root), LineageTestLog.Event(1, middle, root)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(2, middle, root, LineageEventKind.ExecutionCompleted)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(3, late, middle)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(4, root, kind: LineageEventKind.ExecutionCompleted)], CancellationToken.None);
            await sink.AppendAsync([LineageTestLog.Event(5, late, middle, LineageEventKind.ExecutionCompleted)], CancellationToken.None);
        }

        var lines = LineageExecutionTree.Render([_log.Path], null).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(4, lines.Length);
        Assert.StartsWith(root.ToString("D"), lines[0], StringComparison.Ordinal);
        Assert.StartsWith("└─ " + middle.ToString("D"), lines[1], StringComparison.Ordinal);
        Assert.StartsWith("   └─ " + late.ToString("D"), lines[2], StringComparison.Ordinal);
        Assert.Contains("outcome completed", lines[2], StringComparison.Ordinal);
    }
}
