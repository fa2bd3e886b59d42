using System.CommandLine;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.AspNetCore;
using GovernedExecution.AspNetCore.ConsoleUi;
using GovernedExecution.Lineage.Browsing;
using GovernedExecution.Policies.Cedar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Cli.Commands;

/// <summary>
/// <c>govexec console LOG...</c>: the governance console of <c>GovernedExecution.AspNetCore</c> over local log files,
/// for an auditor who has only a copy of the logs. It listens on 127.0.0.1 only, in the console's local-only mode
/// (loopback callers that name a loopback host), and reads the files; it never writes them.
/// </summary>
internal static class ConsoleCommands
{
    internal static void Register(RootCommand root)
    {
        var logs = new Argument<string[]>("LOG") { Arity = ArgumentArity.OneOrMore, Description = "The log files (oldest first) or folders of logs to show." };
        var trust = new Option<FileInfo[]>("--trust") { Description = "A trusted public key (SPKI PEM, X.509 certificate, JWK or JWK Set): checkpoint signatures and artifacts are verified against it. Repeatable." };
        var witness = new Option<string?>("--witness") { Description = "The logs' checkpoint witness directory: the logs must consistently contain the checkpoints it holds." };
        var policies = new Option<string?>("--policies") { Description = "The Cedar policies in force (a file or a folder), for the policy view and the proof viewer." };
        var port = new Option<int>("--port") { Description = "The port to listen on at 127.0.0.1 (0, the default: any free port).", DefaultValueFactory = _ => 0 };
        var command = new Command("console", "Serve the governance console (lineage explorer, proof viewer, policies, health) over local log files, on 127.0.0.1 only.") { logs, trust, witness, policies, port };
        command.Validators.Add(CliGuard.Validator(result =>
        {
            if (result.GetValue(port) is < 0 or > 65535)
            {
                result.AddError("--port must be between 0 and 65535.");
            }
        }));
        command.SetAction((parse, cancellationToken) => CliGuard.RunAsync(parse, async () =>
        {
            var keys = (parse.GetValue(trust) ?? []).SelectMany(f => ArtifactCommands.LoadTrusted(f.FullName)).ToList();
            try
            {
                if (parse.GetValue(witness) is { } directory && !Directory.Exists(directory))
                {
                    throw new ArgumentException($"the witness directory {directory} does not exist");
                }

                var set = parse.GetValue(policies) is { } path ? PolicyCommands.LoadPolicies(path) : null;
                await using var app = Build(parse.GetValue(logs)!, keys, parse.GetValue(witness), set, parse.GetValue(port));
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                var output = parse.InvocationConfiguration.Output;
                await output.WriteLineAsync($"govexec console: {Address(app)}  (127.0.0.1 only, read-only; Ctrl+C to stop)").ConfigureAwait(false);
                if (keys.Count == 0)
                {
                    await output.WriteLineAsync("note: no --trust key: checkpoint signatures are not checked (logs show as Unsigned) and artifacts are decoded, not verified").ConfigureAwait(false);
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            finally
            {
                keys.ForEach(k => k.Dispose());
            }
        }));
        root.Subcommands.Add(command);
    }

    /// <summary>The console's web application over <paramref name="logs"/>, listening on 127.0.0.1:<paramref name="port"/> (not started).</summary>
    /// <exception cref="ArgumentException">A log path is neither a file nor a folder.</exception>
    internal static WebApplication Build(IReadOnlyList<string> logs, IReadOnlyList<TrustedKey> keys, string? witnessDirectory, CedarPolicySet? policies, int port)
    {
        var browser = LineageBrowsers.OpenFiles([.. logs.Select(Path.GetFullPath)]);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production", ApplicationName = "govexec" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var sources = new ConsoleSources
        {
            Lineage = [browser],
            TrustedKeys = keys.Count == 0 ? null : new InMemoryTrustedKeyStore(keys),
            KnownKeys = keys,
            Policies = policies is null ? null : new CedarPolicyEvaluator(policies),
            PoliciesLoadedAt = policies is null ? null : TimeProvider.System.GetUtcNow(),
            WitnessDirectory = witnessDirectory,
            Description = $"{logs.Count} local log path(s): {string.Join(", ", logs.Select(Path.GetFileName))}",
        };
        app.Lifetime.ApplicationStopped.Register(() => browser.DisposeAsync().AsTask().GetAwaiter().GetResult());
        ConsoleEndpoints.Map(app, "/", new GovernanceConsoleOptions { LocalOnlyDevelopment = true }, (_, _) => ValueTask.FromResult(sources));
        return app;
    }

    /// <summary>The address the started application listens on.</summary>
    internal static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
}
