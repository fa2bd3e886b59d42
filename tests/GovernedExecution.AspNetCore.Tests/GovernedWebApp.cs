using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Lineage;
using GovernedExecution.Policies;
using GovernedExecution.Policies.Cedar;
using GovernedExecution.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.AspNetCore.Tests;

/// <summary>
/// A real web application for the tests: the default executor (real COSE signatures, real Cedar policy text), an
/// in-memory lineage (or the one given), a user taken from the <c>X-User</c> header, governed endpoints mapped by the
/// test; served by the test server or by Kestrel on a free loopback port.
/// </summary>
internal sealed class GovernedWebApp : IAsyncDisposable
{
    public const string Policies = """
        @id("alice-refunds-up-to-100")
        permit (principal == User::"alice", action == Action::"refund", resource)
        when { context.refund.amount <= 100 };

        @id("no-refunds-of-blocked-orders")
        forbid (principal, action == Action::"refund", resource)
        when { context.refund.orderId == "blocked" };
        """;

    private WebApplication? _app;

    private GovernedWebApp()
    {
    }

    public SigningKey SigningKey { get; } = SigningKey.Generate();

    public InMemoryLineageSink Lineage { get; } = new();

    public RecordingPolicyEvaluator Evaluator { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>How many times a handler of the test ran.</summary>
    public int HandlerRuns => Volatile.Read(ref _handlerRuns);

    /// <summary>What handlers received, in order.</summary>
    public ConcurrentQueue<object?> Received { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    private int _handlerRuns;

    public void Ran(object? received)
    {
        Interlocked.Increment(ref _handlerRuns);
        Received.Enqueue(received);
    }

    public static async Task<GovernedWebApp> StartAsync(
        Action<WebApplication, GovernedWebApp> map,
        Action<GovernedExecutorBuilder>? executor = null,
        Action<IServiceCollection>? services = null,
        Func<IPolicyEvaluator, IPolicyEvaluator>? policies = null,
        bool kestrel = false,
        bool lineage = true,
        Action<WebApplication>? outermost = null)
    {
        var web = new GovernedWebApp();

        // An empty content root: no appsettings.json of another project configures the test's host.
        var root = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "web-root")).FullName;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = root });
        builder.Logging.ClearProviders().AddProvider(web.Logs).SetMinimumLevel(LogLevel.Trace).AddFilter(static (_, _) => true);
        if (kestrel)
        {
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        web.Evaluator = new RecordingPolicyEvaluator(new CedarPolicyEvaluator(CedarPolicySet.Parse(Policies)));
        var executorBuilder = builder.Services.AddGovernedExecution(o => o.Audience = "tests")
            .UsePolicies(policies?.Invoke(web.Evaluator) ?? web.Evaluator)
            .UseSigningKey(web.SigningKey)
            .UseTrustedKeys(web.SigningKey.ToTrustedKey());
        if (lineage)
        {
            executorBuilder.AddLineageSink(web.Lineage);
        }

        executor?.Invoke(executorBuilder);
        builder.Services.AddGovernedHttp();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        web._app = app;
        outermost?.Invoke(app);
        app.UseExceptionHandler();
        app.Use(static (context, next) =>
        {
            // The test's authentication: X-User names the authenticated user.
            if (context.Request.Headers.TryGetValue("X-User", out var user))
            {
                context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.ToString())], "test"));
            }

            return next(context);
        });
        map(app, web);
        await app.StartAsync();
        if (kestrel)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            web.Client = new HttpClient { BaseAddress = new Uri(address) };
        }
        else
        {
            web.Client = app.GetTestClient();
        }

        return web;
    }

    public static HttpRequestMessage Post(string path, string json, string? user = "alice")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (user is not null)
        {
            request.Headers.Add("X-User", user);
        }

        return request;
    }

    public LineageEvent[] Events(LineageEventKind kind) => [.. Lineage.Records.Select(r => r.Event).Where(e => e.Kind == kind)];

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        SigningKey.Dispose();
    }
}

/// <summary>A refund as the tests' handlers bind it.</summary>
public sealed record Refund(string OrderId, long Amount);

/// <summary>A problem details response, read back.</summary>
internal sealed record Problem(HttpStatusCode Status, string? ContentType, string Body, JsonElement Json)
{
    public static async Task<Problem> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var json = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        return new Problem(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, json);
    }

    public string Reason => Json.GetProperty("reason").GetString()!;

    public int ReasonCode => Json.GetProperty("reasonCode").GetInt32();

    public Guid ExecutionId => Guid.Parse(Json.GetProperty("executionId").GetString()!);

    public string Detail => Json.GetProperty("detail").GetString()!;
}

/// <summary>Captures every log entry with its category, for tests that check what was (not) logged as an error.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, int EventId, string Message, Exception? Exception)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, int EventId, string Message, Exception? Exception)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, int, string, Exception?)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
