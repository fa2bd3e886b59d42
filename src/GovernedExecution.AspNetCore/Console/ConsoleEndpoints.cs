using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>The console's routes, the access rules and the security headers every console response carries.</summary>
internal static class ConsoleEndpoints
{
    internal const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The most a proof-viewer upload may hold (artifact, request, proof and form fields together).</summary>
    internal const long MaxUploadBytes = 4 * 1024 * 1024;

    internal const string NoPolicyMessage =
        "The governance console shows who did what under which policy: it is mapped only behind an authorization policy. Set options.AuthorizationPolicy to the name of a policy the host registers (AddAuthorization), or set options.LocalOnlyDevelopment for development on this machine (loopback callers only).";

    internal static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string pattern, GovernanceConsoleOptions options, Func<HttpContext, CancellationToken, ValueTask<ConsoleSources>> sources)
    {
        var policy = options.AuthorizationPolicy;
        if (policy is not null && string.IsNullOrWhiteSpace(policy))
        {
            throw new InvalidOperationException(NoPolicyMessage);
        }

        if (policy is null && !options.LocalOnlyDevelopment)
        {
            throw new InvalidOperationException(NoPolicyMessage);
        }

        var group = endpoints.MapGroup(pattern);
        if (policy is not null)
        {
            group.RequireAuthorization(policy);
        }

        var localOnly = options.LocalOnlyDevelopment;
        var basePath = pattern.TrimEnd('/');
        RequestDelegate Raw(Func<HttpContext, Task<IResult>> answer) => context => Answer(context, localOnly, answer);
        RequestDelegate Page(Func<HttpContext, ConsoleSources, string, CancellationToken, Task<ConsolePage>> render) => Raw(context => RenderAsync(context, basePath, sources, render));
        group.MapGet("/", Page(ExplorerPage.RenderListAsync));
        group.MapGet("/executions/{id:guid}", Page((c, s, b, ct) => ExplorerPage.RenderExecutionAsync(s, b, Guid.Parse((string)c.Request.RouteValues["id"]!, System.Globalization.CultureInfo.InvariantCulture), ct)));
        group.MapGet("/proofs/inclusion", Raw(context => Guarded(context, sources, s => ExplorerPage.DownloadProofAsync(context, s, context.RequestAborted))));
        group.MapGet("/verify", Page((c, s, b, ct) => ProofViewerPage.RenderFormAsync(s, b)));
        group.MapPost("/verify", Page(ProofViewerPage.RenderResultAsync));
        group.MapGet("/policies", Page((c, s, b, ct) => PolicyPage.RenderAsync(s, b, ct)));
        group.MapGet("/health", Page((c, s, b, ct) => HealthPage.RenderAsync(s, b, ct)));
        group.MapGet("/assets/{name}", Raw(context => Task.FromResult(Asset((string)context.Request.RouteValues["name"]!))));
        ConsoleMetrics.EnsureStarted();
        return group;
    }

    internal static void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }

    /// <summary>
    /// A loopback caller that named a loopback host: the address alone is not enough, since a page elsewhere can
    /// rebind its own name to 127.0.0.1 and read the answer as its own origin.
    /// </summary>
    internal static bool IsLocal(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return false;
        }

        var host = context.Request.Host.Host;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }

    private static string Base(HttpContext context, string pattern) => context.Request.PathBase.Add(new PathString(pattern.Length == 0 ? "/" : pattern)).Value ?? pattern;

    /// <summary>Every console answer: the security headers first, then the local-only rule, then the page.</summary>
    private static async Task Answer(HttpContext context, bool localOnly, Func<HttpContext, Task<IResult>> answer)
    {
        SetSecurityHeaders(context.Response);
        var result = localOnly && !IsLocal(context)
            ? Results.Text("The governance console is in local-only development mode: it answers loopback callers only.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden)
            : await answer(context).ConfigureAwait(false);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task<IResult> RenderAsync(HttpContext context, string basePath, Func<HttpContext, CancellationToken, ValueTask<ConsoleSources>> sources, Func<HttpContext, ConsoleSources, string, CancellationToken, Task<ConsolePage>> render)
    {
        var cancellationToken = context.RequestAborted;
        var consoleBase = Base(context, basePath);
        ConsolePage page;
        try
        {
            page = await render(context, await sources(context, cancellationToken).ConfigureAwait(false), consoleBase, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing of the exception's text: it may quote a log line or a path. Its type says enough to look in the host's logs.
            page = ConsolePage.Error(StatusCodes.Status500InternalServerError, "The console could not read what it shows", $"{ex.GetType().Name}: see the host's logs.");
        }

        return Results.Content(Layout.Render(page, consoleBase), "text/html; charset=utf-8", statusCode: page.Status);
    }

    private static async Task<IResult> Guarded(HttpContext context, Func<HttpContext, CancellationToken, ValueTask<ConsoleSources>> sources, Func<ConsoleSources, Task<IResult>> action)
    {
        var cancellationToken = context.RequestAborted;
        try
        {
            return await action(await sources(context, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Results.Text($"The console could not answer ({ex.GetType().Name}): see the host's logs.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static IResult Asset(string name)
    {
        var type = name switch
        {
            "console.css" => "text/css; charset=utf-8",
            "console.js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        if (type is null || typeof(ConsoleEndpoints).Assembly.GetManifestResourceStream("GovernedExecution.AspNetCore.Console." + name) is not { } stream)
        {
            return Results.NotFound();
        }

        return Results.Stream(stream, type);
    }
}

/// <summary>A rendered page: its status, its title and the body's HTML (from <see cref="HtmlWriter"/>).</summary>
internal sealed record ConsolePage(int Status, string Title, string Section, Action<HtmlWriter> Body)
{
    public static ConsolePage Ok(string title, string section, Action<HtmlWriter> body) => new(StatusCodes.Status200OK, title, section, body);

    public static ConsolePage Error(int status, string title, string message) =>
        new(status, title, string.Empty, html => html.Element("h1", title).Element("p", message, ("class", "problem")));
}
