using System.Net;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Cli;
using GovernedExecution.Lineage;
using GovernedExecution.Testing;
using Microsoft.Playwright;

namespace GovernedExecution.Console.Tests;

/// <summary>The governance console used as a person would, in Chromium, over real lineage (docs/console.md).</summary>
[Collection(BrowserGroup.Name)]
public sealed class ConsoleBrowserTests(BrowserFixture browser) : IDisposable
{
    internal const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private readonly string _folder = Directory.CreateTempSubdirectory("console-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void AssertStrictHeaders(IResponse? response)
    {
        Assert.NotNull(response);
        var headers = response!.Headers;
        Assert.Equal(Csp, headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);
        Assert.Equal("no-store", headers["cache-control"]);
    }

    /// <summary>Drops a file on one of the proof viewer's drop zones, as a drag from the desktop would.</summary>
    internal static async Task DropFileAsync(IPage page, string zone, string path)
    {
        await page.EvaluateAsync(
            """
            ([zone, name, base64]) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([bytes], name));
              const target = document.querySelector(`.dropzone[data-drop="${zone}"]`);
              target.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
              target.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
            }
            """,
            new object[] { zone, Path.GetFileName(path), Convert.ToBase64String(await File.ReadAllBytesAsync(path)) });
    }

    /// <summary>Submits the proof viewer's form and waits for the page of its verdict.</summary>
    internal static async Task<IResponse> SubmitAsync(IPage page)
    {
        await page.EvaluateAsync("() => document.body.dataset.before = 'submit'");
        var response = await page.RunAndWaitForResponseAsync(() => page.Locator("#verify-button").ClickAsync(), r => r.Request.Method == "POST" && r.Url.EndsWith("/verify", StringComparison.Ordinal));
        await page.WaitForSelectorAsync("body:not([data-before])");
        return response;
    }

    /// <summary>Reloads until the log's background verification has finished (a page does not wait long for it).</summary>
    internal static async Task<ILocator> VerifiedStatusAsync(IPage page)
    {
        var status = page.Locator("#chain-status li").First;
        for (var i = 0; i < 240 && await status.GetAttributeAsync("data-status") == "NotVerified"; i++)
        {
            await page.WaitForTimeoutAsync(250);
            await page.ReloadAsync();
        }

        return status;
    }

    private static async Task<IResponse> OpenAsync(IPage page, string url)
    {
        var response = await page.GotoAsync(url);
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        AssertStrictHeaders(response);
        return response;
    }

    [Fact]
    public async Task Explorer_on_the_AgentToolGuard_lineage_lists_its_executions_and_filters_them()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        await using var server = await ConsoleServer.StartAsync([log], key);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await OpenAsync(page, server.Url);

        var rows = page.Locator("#executions tbody tr");
        Assert.True(await rows.CountAsync() >= 6, await page.ContentAsync());
        Assert.Equal("Verified", await (await VerifiedStatusAsync(page)).GetAttributeAsync("data-status"));
        Assert.Contains("support-bot", await page.Locator("#executions").InnerTextAsync(), StringComparison.Ordinal);

        await page.Locator("select[name=outcome]").SelectOptionAsync("Denied");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("outcome=Denied", StringComparison.Ordinal));
        var denied = await page.Locator("#executions td.outcome").AllInnerTextsAsync();
        Assert.NotEmpty(denied);
        Assert.All(denied, outcome => Assert.Equal("Denied", outcome));
        Assert.Contains("delete_customer", await page.Locator("#executions").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execution_page_shows_records_in_order_policies_and_a_child_that_expands()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        await using var server = await ConsoleServer.StartAsync([log], key);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAsync(page, server.Url + "?outcome=Completed&q=refund");

        await page.Locator("#executions tbody tr", new() { HasText = "Action::\"refund\"" }).Last.Locator("a.open").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/executions/", StringComparison.Ordinal));
        AssertStrictHeaders(await page.ReloadAsync());

        var sequences = (await page.Locator("#records > li").EvaluateAllAsync<long[]>("items => items.map(i => Number(i.dataset.sequence))")).ToList();
        Assert.True(sequences.Count >= 4);
        Assert.Equal(sequences.Order().ToList(), sequences);
        Assert.Contains("support-can-refund-small", await page.Locator("#deciding-policies").InnerTextAsync(), StringComparison.Ordinal);

        var child = page.Locator("#children details.child").First;
        Assert.False(await child.EvaluateAsync<bool>("d => d.open"));
        Assert.False(await child.Locator("a.open-child").IsVisibleAsync());
        await child.Locator("summary").ClickAsync();
        Assert.True(await child.EvaluateAsync<bool>("d => d.open"));
        Assert.True(await child.Locator("a.open-child").IsVisibleAsync());
        Assert.Contains("notify_customer", await child.InnerTextAsync(), StringComparison.Ordinal);

        await child.Locator("a.open-child").ClickAsync();
        await page.WaitForSelectorAsync("#fact-action");
        Assert.Contains("notify_customer", await page.Locator("#fact-action").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Downloaded_inclusion_proof_checks_offline_with_govexec()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        await using var server = await ConsoleServer.StartAsync([log], key);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAsync(page, server.Url);
        await page.Locator("#executions a.open").First.ClickAsync();
        await page.WaitForSelectorAsync("#records");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#records a.proof").First.ClickAsync());
        var saved = Path.Combine(_folder, "downloaded-proof.json");
        await download.SaveAsAsync(saved);

        using var trusted = TrustedKey.FromPem(await File.ReadAllTextAsync(key));
        Assert.Null(LineageProofs.Verify(await File.ReadAllTextAsync(saved), new Dictionary<string, TrustedKey> { [trusted.KeyId] = trusted }));
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await GovexecApp.RunAsync(["lineage", "check-proof", saved, "--trust", key], output, error));
        Assert.Contains("\"valid\":true", output.ToString(), StringComparison.Ordinal);

        // The same file in the proof viewer: valid; with one hash altered: not valid.
        await OpenAsync(page, server.Url + "verify");
        await DropFileAsync(page, "proof", saved);
        await SubmitAsync(page);
        Assert.Equal("true", await page.Locator("#proof-verdict").GetAttributeAsync("data-valid"));

        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(saved))!.AsObject();
        var altered = Path.Combine(_folder, "altered-proof.json");
        var leaf = json["leafHash"]?.GetValue<string>() ?? json["leaf"]?.GetValue<string>();
        Assert.False(leaf is null, await File.ReadAllTextAsync(saved));
        json[json.ContainsKey("leafHash") ? "leafHash" : "leaf"] = (leaf![0] == 'a' ? "b" : "a") + leaf[1..];
        await File.WriteAllTextAsync(altered, json.ToJsonString());
        await DropFileAsync(page, "proof", altered);
        await SubmitAsync(page);
        Assert.Equal("false", await page.Locator("#proof-verdict").GetAttributeAsync("data-valid"));
    }

    [Fact]
    public async Task Proof_viewer_rejects_a_tampered_artifact_and_accepts_the_good_one()
    {
        var (log, _) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        var policies = Path.Combine(TestPaths.RepositoryRoot, "samples", "AgentToolGuard", "policies", "agent-tools.cedar");
        var keyName = Path.Combine(_folder, "minter");
        var request = Path.Combine(_folder, "request.json");
        var artifact = Path.Combine(_folder, "refund.cose");
        await File.WriteAllTextAsync(request, """{"principal":{"type":"Agent","id":"support-bot"},"action":{"type":"Action","id":"refund"},"resource":{"type":"Order","id":"A-1001"},"context":{"amount":20}}""");
        Assert.Equal(0, await GovexecApp.RunAsync(["keys", "generate", "--out", keyName], TextWriter.Null, TextWriter.Null));
        using (var mintError = new StringWriter())
        {
            Assert.True(await GovexecApp.RunAsync(["artifact", "mint", "--key", keyName + ".key.pem", "--policies", policies, "--request", request, "--audience", "agent-tools", "--ttl", "1h", "--out", artifact], TextWriter.Null, mintError) == 0, mintError.ToString());
        }

        var tampered = Path.Combine(_folder, "tampered.cose");
        var bytes = await File.ReadAllBytesAsync(artifact);
        bytes[^10] ^= 0xFF; // inside the signature
        await File.WriteAllBytesAsync(tampered, bytes);

        await using var server = await ConsoleServer.StartAsync([log], keyName + ".pub.pem", policies);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await OpenAsync(page, server.Url + "verify");

        await page.Locator("input[name=audience]").FillAsync("agent-tools");
        await DropFileAsync(page, "artifact", tampered);
        Assert.Equal(1, await page.Locator("#artifact-file").EvaluateAsync<int>("input => input.files.length"));
        await page.Locator("#request-file").SetInputFilesAsync(request);
        AssertStrictHeaders(await SubmitAsync(page));
        Assert.NotEqual("Verified", await page.Locator("#verdict").GetAttributeAsync("data-verdict"));
        Assert.True("failed" == await page.Locator("#checks li[data-check=signature]").GetAttributeAsync("data-state"), await page.Locator("#artifact-result").InnerTextAsync());
        Assert.Equal("passed", await page.Locator("#checks li[data-check=key]").GetAttributeAsync("data-state"));

        using var cliOutput = new StringWriter();
        await GovexecApp.RunAsync(["artifact", "verify", tampered, "--trust", keyName + ".pub.pem", "--request", request, "--audience", "agent-tools", "--policies", policies], cliOutput, TextWriter.Null);
        var cliVerdict = System.Text.Json.JsonDocument.Parse(cliOutput.ToString()).RootElement.GetProperty("verdict").GetString();
        Assert.Equal(cliVerdict, await page.Locator("#verdict").GetAttributeAsync("data-verdict"));

        await page.Locator("input[name=audience]").FillAsync("agent-tools");
        await page.Locator("#artifact-file").SetInputFilesAsync(artifact);
        await page.Locator("#request-file").SetInputFilesAsync(request);
        await ConsoleBrowserTests.SubmitAsync(page);
        Assert.Equal("Verified", await page.Locator("#verdict").GetAttributeAsync("data-verdict"));
        Assert.Equal("passed", await page.Locator("#checks li[data-check=signature]").GetAttributeAsync("data-state"));
        Assert.Equal("passed", await page.Locator("#checks li[data-check=policy-set]").GetAttributeAsync("data-state"));
        Assert.Contains("support-can-refund-small", await page.Locator("#claims").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_log_is_reported_broken_at_the_altered_record()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        var (tampered, sequence) = ConsoleLogs.Tamper(log, _folder, "policy_evaluated");
        await using var server = await ConsoleServer.StartAsync([tampered], key);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await OpenAsync(page, server.Url);

        var status = await VerifiedStatusAsync(page);
        Assert.Equal("Broken", await status.GetAttributeAsync("data-status"));
        Assert.Equal(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), await status.GetAttributeAsync("data-broken-at"));
        Assert.Contains($"Broken at record {sequence}", await status.InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_principal_action_and_resource_are_rendered_inert()
    {
        var (log, key) = await ConsoleLogs.WriteHostileAsync(_folder);
        await using var server = await ConsoleServer.StartAsync([log], key);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) =>
        {
            Interlocked.Increment(ref dialogs);
            _ = dialog.DismissAsync();
        };
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);

        await OpenAsync(page, server.Url);
        var table = await page.Locator("#executions").InnerTextAsync();
        Assert.Contains(ConsoleLogs.HostilePrincipal, table, StringComparison.Ordinal);
        Assert.Contains(ConsoleLogs.HostileAction, table, StringComparison.Ordinal);
        Assert.Contains(ConsoleLogs.HostileResource, table, StringComparison.Ordinal);

        await page.Locator("#executions tbody tr", new() { HasText = "<script>" }).Locator("a.open").ClickAsync();
        await page.WaitForSelectorAsync("#records");
        await page.Locator("button[data-tree=expand]").ClickAsync();
        foreach (var url in new[] { page.Url, server.Url, server.Url + "?q=" + Uri.EscapeDataString(ConsoleLogs.HostilePrincipal) })
        {
            await OpenAsync(page, url);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.Equal(0, await page.Locator("img").CountAsync());
            Assert.Equal(0, await page.Locator("svg[onload], main svg").CountAsync());
            Assert.Equal(1, await page.Locator("script").CountAsync()); // the console's own file only
            Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
            Assert.Equal(0, await page.Locator("[onerror], [onload], [onclick]").CountAsync());
            var hrefs = await page.Locator("a[href]").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            Assert.All(hrefs, href => Assert.StartsWith("/", href));
            Assert.Contains(ConsoleLogs.HostilePrincipal, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, dialogs);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Every_surface_carries_the_strict_headers_and_loads_no_other_origin()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        var policies = Path.Combine(TestPaths.RepositoryRoot, "samples", "AgentToolGuard", "policies");
        await using var server = await ConsoleServer.StartAsync([log], key, policies);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var requested = new List<string>();
        page.Request += (_, request) => requested.Add(request.Url);
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                violations.Add(message.Text);
            }
        };

        foreach (var path in new[] { string.Empty, "verify", "policies", "health", "assets/console.css", "assets/console.js" })
        {
            await OpenAsync(page, server.Url + path);
        }

        await page.GotoAsync(server.Url + "?outcome=Completed");
        await page.Locator("#executions a.open").First.ClickAsync();
        await page.WaitForSelectorAsync("#records");
        AssertStrictHeaders(await page.ReloadAsync());

        // From an execution to the policy that decided it, and from the policy to the executions it decided.
        var policy = await page.Locator("#deciding-policies a").First.InnerTextAsync();
        await page.Locator("#deciding-policies a").First.ClickAsync();
        await page.WaitForSelectorAsync("#policies");
        var card = page.Locator($"li.policy[id=\"policy-{policy}\"]");
        Assert.Equal(1, await card.CountAsync());
        await card.Locator("a.decided").ClickAsync();
        await page.WaitForSelectorAsync("#filters");
        Assert.True(await page.Locator("#executions tbody tr").CountAsync() >= 1, await page.Locator("main").InnerTextAsync());

        var missing = await page.GotoAsync(server.Url + "executions/" + Guid.NewGuid());
        Assert.Equal(404, missing!.Status);
        AssertStrictHeaders(missing);

        Assert.All(requested, url => Assert.StartsWith(server.Url, url, StringComparison.Ordinal));
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Local_only_console_refuses_a_page_that_names_another_host()
    {
        var (log, key) = await ConsoleLogs.WriteHostileAsync(_folder);
        await using var server = await ConsoleServer.StartAsync([log], key);
        using var client = new HttpClient();

        // A page elsewhere that rebinds its own name to 127.0.0.1 reaches the console from loopback, with its name as Host.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, server.Url);
        rebound.Headers.Host = "attacker.example";
        var refused = await client.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(Csp, refused.Headers.GetValues("Content-Security-Policy").Single());

        var allowed = await client.GetAsync(server.Url);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }
}
