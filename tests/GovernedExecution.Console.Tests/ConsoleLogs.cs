using System.Diagnostics;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;

namespace GovernedExecution.Console.Tests;

/// <summary>Real lineage for the console to show: the AgentToolGuard sample run as a process, and logs written by a real executor.</summary>
internal static class ConsoleLogs
{
    /// <summary>Hostile values an attacker could put into a principal id, an action or a resource name.</summary>
    internal const string HostilePrincipal = "<img src=x onerror=alert(1)>";
    internal const string HostileAction = "</script><script>alert(2)</script>";
    internal const string HostileResource = "javascript:alert(3)";

    /// <summary>
    /// Runs the AgentToolGuard sample (its built program, as a user would run it) with <c>--out</c>: returns the lineage
    /// file and the public key file it wrote.
    /// </summary>
    internal static async Task<(string Log, string PublicKey)> RunAgentToolGuardAsync(string folder)
    {
        var dll = FindSample("AgentToolGuard");
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", dll, "--out", folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"AgentToolGuard exited with {process.ExitCode}: {await output}{await error}");
        var log = Assert.Single(Directory.GetFiles(folder, "lineage-*.jsonl"));
        return (log, Path.Combine(folder, "signing.pub.pem"));
    }

    /// <summary>The sample's own build output (its dependencies beside it), as <c>dotnet run</c> would run it.</summary>
    private static string FindSample(string name)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var dll = Path.Combine(TestPaths.RepositoryRoot, "samples", name, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"The {name} sample is not built at {dll}: build the solution first.");
    }

    /// <summary>
    /// A log written by a real executor (permit-all policy, signed checkpoints) whose executions carry hostile
    /// principal, action and resource strings, and one nested child.
    /// </summary>
    internal static async Task<(string Log, string PublicKey)> WriteHostileAsync(string folder)
    {
        var log = Path.Combine(folder, "hostile.jsonl");
        using var key = SigningKey.Generate();
        using var trusted = key.ToTrustedKey();
        var publicKey = Path.Combine(folder, "hostile.pub.pem");
        await File.WriteAllTextAsync(publicKey, trusted.ExportPublicKeyPem());
        var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = log, CheckpointKey = key, CheckpointEveryRecords = 8 });
        await using (sink)
        {
            var executor = new GovernedExecutorBuilder()
                .Configure(o => o.Audience = "console-tests")
                .UseCedarPolicies(CedarPolicySet.Parse("@id(\"anything\") permit (principal, action, resource);"))
                .UseSigningKey(key)
                .UseTrustedKeys(trusted)
                .AddLineageSink(sink)
                .Build();
            var hostile = new ExecutionIntent(new EntityReference("User", HostilePrincipal), new EntityReference("Action", HostileAction), new EntityReference("Document", HostileResource));
            await executor.RunAsync(hostile, async (context, ct) =>
            {
                var child = new ExecutionIntent(new EntityReference("User", HostilePrincipal), new EntityReference("Action", "nested"), new EntityReference("Document", "\"><svg onload=alert(4)>"));
                return await executor.RunAsync(child, (c, t) => ValueTask.FromResult(1), ct);
            });
        }

        return (log, publicKey);
    }

    /// <summary>Governed calls in this process (some permitted, some denied), so that the health page's charts have something to show.</summary>
    internal static async Task RunCallsAsync(string folder, int permitted, int denied)
    {
        using var key = SigningKey.Generate();
        using var trusted = key.ToTrustedKey();
        var sink = FileLineageSink.Open(new FileLineageSinkOptions { Path = Path.Combine(folder, "calls.jsonl"), CheckpointKey = key });
        await using (sink)
        {
            var executor = new GovernedExecutorBuilder()
                .Configure(o => o.Audience = "console-tests")
                .UseCedarPolicies(CedarPolicySet.Parse("@id(\"reads\") permit (principal, action == Action::\"read\", resource);"))
                .UseSigningKey(key)
                .UseTrustedKeys(trusted)
                .AddLineageSink(sink)
                .Build();
            for (var i = 0; i < permitted + denied; i++)
            {
                var intent = new ExecutionIntent(new EntityReference("User", "alice"), new EntityReference("Action", i < permitted ? "read" : "write"), new EntityReference("Document", "d-" + i));
                await executor.RunOutcomeAsync(intent, (context, ct) => ValueTask.FromResult(i));
            }
        }
    }

    /// <summary>A copy of <paramref name="log"/> with one record's content altered (its line keeps its length and JSON shape).</summary>
    internal static (string Copy, long Sequence) Tamper(string log, string folder, string kind)
    {
        var lines = File.ReadAllLines(log);
        var index = Array.FindIndex(lines, l => l.Contains($"\"{kind}\"", StringComparison.Ordinal));
        Assert.True(index > 0, $"no {kind} record");
        var line = lines[index];
        var at = line.IndexOf("\"time\":\"", StringComparison.Ordinal) + 8;
        Assert.True(at > 8, "no time field");
        var digit = line[at + 3];
        lines[index] = line[..(at + 3)] + (digit == '9' ? '8' : (char)(digit + 1)) + line[(at + 4)..];
        var copy = Path.Combine(folder, "tampered.jsonl");
        File.WriteAllLines(copy, lines);
        var sequence = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("seq").GetInt64();
        return (copy, sequence);
    }
}
