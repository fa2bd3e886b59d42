using System.Collections.Concurrent;
using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.FailClosed;

/// <summary>
/// Load, not timing: 16 concurrent callers mix permits, forbids, tampered artifacts, replays, nested executions and
/// cancellations against a durable file lineage, then the run is audited: no denied delegate ran, every permitted
/// one ran exactly once, and the lineage file verifies and holds exactly the expected records. CI runs it for a few
/// seconds; tests/stress/run.sh runs it for 30 (GOVEXEC_STRESS_SECONDS).
/// </summary>
public sealed class StressTests
{
    private enum Expect { Run, Denied }

    [Fact]
    public async Task Sixteen_callers_mixing_every_path_leave_a_consistent_audited_lineage()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("GOVEXEC_STRESS_SECONDS"), out var s) ? s : 3;
        var folder = Directory.CreateTempSubdirectory("govexec-stress-");
        try
        {
            using var key = SigningKey.Generate();
            using var trusted = key.ToTrustedKey();
            var path = Path.Combine(folder.FullName, "stress.jsonl");
            var file = FileLineageSink.Open(new FileLineageSinkOptions { Path = path, CheckpointKey = key, CheckpointEveryRecords = 500 });
            var executor = new GovernedExecutorBuilder()
                .Configure(o => o.Audience = "stress")
                .UseCedarPolicies(CedarPolicySet.Parse("""
                    permit (principal, action in [Action::"read", Action::"refund", Action::"delete"], resource);
                    forbid (principal, action == Action::"delete", resource);
                    """))
                .UseSigningKey(key)
                .UseTrustedKeys(trusted)
                .AddLineageSink(file)
                .Build();

            var ran = new ConcurrentDictionary<Guid, int>();
            var expectations = new ConcurrentBag<(Guid Execution, Expect Expect, GovernedOutcomeKind Actual, DenialReason Reason)>();
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            var scenarios = new int[6];
            ValueTask<int> Body(GovernedContext ctx, CancellationToken ct)
            {
                ran.AddOrUpdate(ctx.ExecutionId, 1, (_, n) => n + 1);
                return ValueTask.FromResult(1);
            }

            void Record(GovernedOutcome<int> outcome, Expect expect) =>
                expectations.Add((outcome.ExecutionId, expect, outcome.Kind, outcome.Denial?.Reason ?? DenialReason.Unspecified));

            await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
            {
                for (var i = 0; DateTime.UtcNow < deadline; i++)
                {
                    var resource = $"r-{caller}-{i}";
                    Interlocked.Increment(ref scenarios[i % 6]);
                    switch (i % 6)
                    {
                        case 0:
                            Record(await executor.RunOutcomeAsync(GovernedTestHost.Intent("read", resource), Body), Expect.Run);
                            break;
                        case 1:
                            Record(await executor.RunOutcomeAsync(GovernedTestHost.Intent("delete", resource), Body), Expect.Denied);
                            break;
                        case 2:
                            var intent = GovernedTestHost.Intent("refund", resource);
                            var bytes = (await executor.IssueAsync(intent)).Artifact!.Encoded.ToArray();
                            bytes[(i * 7919) % bytes.Length] ^= (byte)(1 << (i % 8));
                            Record(await executor.RunOutcomeAsync(intent, AuthorizationArtifact.FromBytes(bytes), Body), Expect.Denied);
                            break;
                        case 3:
                            var replayed = GovernedTestHost.Intent("refund", resource);
                            var artifact = (await executor.IssueAsync(replayed)).Artifact!;
                            Record(await executor.RunOutcomeAsync(replayed, artifact, Body), Expect.Run);
                            Record(await executor.RunOutcomeAsync(replayed, artifact, Body), Expect.Denied);
                            break;
                        case 4:
                            Record(await executor.RunOutcomeAsync(GovernedTestHost.Intent("read", resource), async (ctx, ct) =>
                            {
                                Record(await executor.RunOutcomeAsync(GovernedTestHost.Intent("refund", resource + "-child"), Body, ct), Expect.Run);
                                return await Body(ctx, ct);
                            }), Expect.Run);
                            break;
                        default:
                            using (var cts = new CancellationTokenSource())
                            {
                                cts.Cancel();
                                Record(await executor.RunOutcomeAsync(GovernedTestHost.Intent("read", resource), Body, cts.Token), Expect.Denied);
                            }

                            break;
                    }
                }
            })));
            await file.DisposeAsync();

            var all = expectations.ToArray();
            Assert.True(all.Length > 100, $"only {all.Length} executions in {seconds} s");
            foreach (var (execution, expect, actual, reason) in all)
            {
                if (expect == Expect.Run)
                {
                    Assert.Equal(GovernedOutcomeKind.Succeeded, actual);
                    Assert.Equal(1, ran.GetValueOrDefault(execution));
                }
                else
                {
                    Assert.Equal(GovernedOutcomeKind.Denied, actual);
                    Assert.NotEqual(DenialReason.Unspecified, reason);
                    Assert.False(ran.ContainsKey(execution), $"denied execution {execution} ({reason}) ran");
                }
            }

            Assert.Equal(all.Count(e => e.Expect == Expect.Run), ran.Count);
            var verdict = LineageVerifier.VerifyFiles([path], [trusted]);
            Assert.True(verdict.IsValid, verdict.ToString());

            var kinds = File.ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString()!).ToList();
            var runs = all.Count(e => e.Expect == Expect.Run);
            var denials = all.Length - runs;
            Assert.Equal(runs, kinds.Count(k => k == "execution_started"));
            Assert.Equal(runs, kinds.Count(k => k == "execution_completed"));
            Assert.Equal(denials, kinds.Count(k => k == "execution_denied"));
            Assert.Equal(0, kinds.Count(k => k == "execution_failed"));

            // Records per scenario: permit 6; forbid 3; tampered 3 (issue) + 3 (intent, verified, denied); replay 3 (issue)
            // + 4 (intent, verified, started, completed) + 3; nested 6 + 6; canceled before start 1 (denied).
            long[] perScenario = [6, 3, 6, 10, 12, 1];
            var expected = scenarios.Select((count, i) => count * perScenario[i]).Sum();
            Assert.Equal(expected, kinds.Count(k => k is not "checkpoint" and not "repair"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
