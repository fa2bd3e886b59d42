using GovernedExecution.Artifacts;
using GovernedExecution.Cli;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Rules;
using GovernedExecution.PostgreSql.Lineage;
using GovernedExecution.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GovernedExecution.PostgreSql.Tests.Lineage;

/// <summary>
/// A delegated child run by a worker with a chain of its own links to its parent by execution id and parent artifact
/// digest; <c>govexec lineage show --postgres --execution</c> follows the tree across writers and
/// <c>govexec lineage verify --postgres</c> verifies every chain (exit codes as for files).
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class PostgreSqlLineageTreeTests(PostgresServer server)
{
    private static readonly EntityReference Planner = new("Agent", "planner");
    private static readonly EntityReference Plan = new("Action", "plan");
    private static readonly EntityReference Search = new("Action", "search");
    private static readonly EntityReference Trip = new("Trip", "t-1");
    private static readonly EntityReference Flight = new("Flight", "f-1");

    [Fact]
    public async Task A_child_run_by_a_worker_process_links_to_its_parent_and_show_follows_it_across_writers()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        var orchestratorSink = await db.OpenAsync(o => o.WriterName = "orchestrator");
        using var host = new GovernedTestHost(policies: new RulePolicyEvaluator([PolicyRule.Permit("agents", i => i.Principal.Type == "Agent")]), time: TimeProvider.System, lineage: orchestratorSink);

        var parentIntent = new ExecutionIntent(Planner, Plan, Trip);
        var parentArtifact = (await host.Executor.IssueAsync(parentIntent, GovernedTestHost.Audience, new DelegationScope([Plan, Search], [Trip, Flight]))).Artifact!;
        Guid parentExecution = default;
        AuthorizationArtifact? child = null;
        var parentRun = await host.Executor.RunOutcomeAsync(parentIntent, parentArtifact, 0, async (s, ctx, ct) =>
        {
            parentExecution = ctx.ExecutionId;
            var childIntent = new ExecutionIntent(Planner, Search, Flight) { ParentExecutionId = ctx.ExecutionId };
            child = (await ctx.DelegateAsync(childIntent, new DelegationScope([Search], [Flight]), cancellationToken: ct)).Artifact;
            return s;
        });
        Assert.True(parentRun.IsSuccess, parentRun.Denial?.ToString());

        // A verify-only worker in a process of its own runs the child (presented with its parent), with a chain of its own.
        var files = Path.Combine(Path.GetTempPath(), "govexec-pgchild-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(files);
        Guid childExecution;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(files, "trusted.pem"), host.SigningKey.ToTrustedKey().ExportPublicKeyPem());
            await File.WriteAllBytesAsync(Path.Combine(files, "child.cose"), child!.Encoded.ToArray());
            await File.WriteAllBytesAsync(Path.Combine(files, "parent.cose"), parentArtifact.Encoded.ToArray());
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in (string[])[PostgreSqlLineageCrashTests.CrashWriterPath(), "child", db.ConnectionString, Path.Combine(files, "trusted.pem"), Path.Combine(files, "child.cose"), Path.Combine(files, "parent.cose"), parentExecution.ToString("D")])
            {
                start.ArgumentList.Add(arg);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, await stderr);
            childExecution = Guid.Parse((await stdout).Trim());
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }

        await orchestratorSink.DisposeAsync();

        // The worker's records name the parent execution and the artifact the orchestrator issued for it, which names the parent's.
        var store = db.Store;
        var childRows = (await store.QueryAsync(new() { ExecutionId = childExecution })).Rows;
        Assert.All(childRows, r => Assert.NotEqual(orchestratorSink.WriterId, r.WriterId));
        Assert.Single(childRows.Select(r => r.WriterId).Distinct());
        Assert.All(childRows, r => Assert.Equal(parentExecution, r.ParentExecutionId));
        var verified = childRows.Select(r => LineageRecordLine.TryParse(r.Record, out _)!).Single(r => r.Kind == LineageEventKind.ArtifactVerified);
        var issued = (await store.QueryAsync(new() { ParentExecutionId = parentExecution })).Rows
            .Select(r => LineageRecordLine.TryParse(r.Record, out _)!).Single(r => r.Kind == LineageEventKind.ArtifactIssued);
        Assert.Equal(verified["artifact_digest"], issued["artifact_digest"]);
        Assert.Equal(parentArtifact.ComputeDigest(), issued["parent_artifact_digest"]);

        var (code, output, error) = await GovexecAsync("lineage", "show", "--postgres", db.ConnectionString, "--execution", parentExecution.ToString("D"));
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        Assert.StartsWith(parentExecution.ToString("D"), lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains(childExecution.ToString("D"), StringComparison.Ordinal) && l.Contains("search", StringComparison.Ordinal) && (l.StartsWith("├─ ", StringComparison.Ordinal) || l.StartsWith("└─ ", StringComparison.Ordinal)));
        Assert.Contains("orchestrator", error, StringComparison.Ordinal);
        Assert.Contains("worker process", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_postgres_exits_0_for_good_chains_1_for_a_changed_row_or_unchecked_signatures_and_2_for_a_bad_command_line()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        Guid writer;
        await using (var sink = await db.OpenAsync())
        {
            writer = sink.WriterId;
            for (var i = 0; i < 5; i++)
            {
                await sink.AppendAsync([LineageTestDatabase.Event(LineageEventKind.IntentSubmitted, Guid.NewGuid())], CancellationToken.None);
            }
        }

        var pub = Path.Combine(Path.GetTempPath(), "govexec-pgpub-" + Guid.NewGuid().ToString("N") + ".pem");
        await File.WriteAllTextAsync(pub, db.Trusted.ExportPublicKeyPem());
        try
        {
            var (code, output, error) = await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--trust", pub);
            Assert.True(code == 0, error + output);
            Assert.Contains("\"valid\":true", output, StringComparison.Ordinal);

            Assert.Equal(1, (await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString)).Code);
            Assert.Equal(0, (await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--no-signatures")).Code);
            Assert.Equal(2, (await GovexecAsync("lineage", "verify")).Code);
            Assert.Equal(2, (await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--partial")).Code);
            Assert.Equal(2, (await GovexecAsync("lineage", "show", "--postgres", db.ConnectionString)).Code);
            Assert.Equal(1, (await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--schema", "Bad;Name", "--trust", pub)).Code);
            Assert.Equal(1, (await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--schema", "nothere", "--trust", pub)).Code);

            await db.ExecuteAsync($"UPDATE governed_execution.lineage_records SET record = convert_to(replace(convert_from(record, 'UTF8'), '\"seq\":3', '\"seq\":3 '), 'UTF8') WHERE writer_id = '{writer:D}' AND sequence = 3");
            (code, output, error) = await GovexecAsync("lineage", "verify", "--postgres", db.ConnectionString, "--trust", pub);
            Assert.Equal(1, code);
            Assert.Contains($"writer {writer:D}", error, StringComparison.Ordinal);
            Assert.Contains("record 3", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Host=", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pub);
        }
    }

    [Fact]
    public async Task An_executor_in_a_container_writes_through_the_data_source_and_the_container_closes_the_chain()
    {
        await using var db = await LineageTestDatabase.CreateAsync(server);
        using var signing = GovernedExecution.Artifacts.Keys.SigningKey.Generate();
        var services = new ServiceCollection();
        services.AddSingleton(db.DataSource);
        services.AddGovernedExecution(o => o.Audience = GovernedTestHost.Audience)
            .UsePolicies(GovernedTestHost.DefaultPolicies())
            .UseSigningKey(signing)
            .UseTrustedKeys(signing.ToTrustedKey())
            .AddPostgreSqlLineage(configure: o => { o.CheckpointKey = db.Key; o.WriterName = "hosted"; });
        await using (var provider = services.BuildServiceProvider())
        {
            var executor = provider.GetRequiredService<IGovernedExecutor>();
            var outcome = await executor.RunOutcomeAsync(GovernedTestHost.Intent(), 0, (s, c, ct) => ValueTask.FromResult(s));
            Assert.True(outcome.IsSuccess, outcome.Denial?.ToString());
        }

        var verification = await db.VerifyAsync();
        Assert.True(verification.IsValid, verification.ToJson());
        var chain = Assert.Single(verification.Chains);
        Assert.Equal("hosted", chain.Name);
        Assert.True(chain.Closed);
    }

    private static async Task<(int Code, string Output, string Error)> GovexecAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await GovexecApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
