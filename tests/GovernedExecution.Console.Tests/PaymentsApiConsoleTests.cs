using System.Net;
using GovernedExecution.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GovernedExecution.Console.Tests;

/// <summary>The console mapped in a host (the PaymentsApi sample) behind its authorization policy, in Chromium.</summary>
[Collection(BrowserGroup.Name)]
public sealed class PaymentsApiConsoleTests(BrowserFixture browser) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("console-payments-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WebApplicationFactory<Program> StartPaymentsApi()
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("PaymentsApi:KeysDirectory", Path.Combine(_folder, "keys"))
            .UseSetting("PaymentsApi:LineagePath", Path.Combine(_folder, "lineage", "payments.jsonl"))
            .UseSetting("Urls", "http://127.0.0.1:0"));
        factory.UseKestrel();
        factory.StartServer();
        return factory;
    }

    private static async Task RefundAsync(HttpClient client, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/refunds") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", "demo-support-bot");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden, response.StatusCode.ToString());
    }

    [Fact]
    public async Task Auditor_opens_the_console_on_the_PaymentsApi_lineage_and_filters_it()
    {
        await using var factory = StartPaymentsApi();
        using var client = factory.CreateClient();
        await RefundAsync(client, """{"orderId":"o-1","amount":40}""");
        await RefundAsync(client, """{"orderId":"o-2","amount":500}""");
        var root = client.BaseAddress!.ToString().TrimEnd('/');

        await using var context = await browser.NewContextAsync(new Dictionary<string, string> { ["X-Api-Key"] = "demo-auditor" });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(root + "/governance");
        Assert.Equal(200, response!.Status);
        Assert.Equal(ConsoleBrowserTests.Csp, response.Headers["content-security-policy"]);
        var table = await page.Locator("#executions").InnerTextAsync();
        Assert.Contains("User::\"support-bot\"", table, StringComparison.Ordinal);
        Assert.Contains("Denied", table, StringComparison.Ordinal);
        Assert.Contains("Completed", table, StringComparison.Ordinal);

        await page.Locator("select[name=outcome]").SelectOptionAsync("Completed");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("outcome=Completed", StringComparison.Ordinal));
        Assert.All(await page.Locator("#executions td.outcome").AllInnerTextsAsync(), o => Assert.Equal("Completed", o));
        await page.Locator("#executions a.open").First.ClickAsync();
        await page.WaitForSelectorAsync("#records");
        Assert.Contains("refund", await page.Locator("#fact-action").InnerTextAsync(), StringComparison.Ordinal);

        foreach (var surface in new[] { "/governance/policies", "/governance/health", "/governance/verify" })
        {
            var answer = await page.GotoAsync(root + surface);
            Assert.Equal(200, answer!.Status);
            Assert.Equal(ConsoleBrowserTests.Csp, answer.Headers["content-security-policy"]);
        }

        await page.GotoAsync(root + "/governance/health");
        Assert.True(await page.Locator("#chart-calls rect.bar.succeeded").CountAsync() >= 1, "the calls chart shows the permitted refund as succeeded");
        Assert.True(await page.Locator("#chart-calls rect.bar.denied").CountAsync() >= 1, "the calls chart shows the refused refund as denied");
        Assert.Contains("NotPermitted", await page.Locator("#chart-denials").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("evaluate", await page.Locator("#chart-phases").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("#keys .card").CountAsync());
    }

    [Fact]
    public async Task Console_answers_only_callers_the_authorization_policy_admits()
    {
        await using var factory = StartPaymentsApi();
        using var client = factory.CreateClient();

        using var anonymous = await client.GetAsync("/governance");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var notAuditor = new HttpRequestMessage(HttpMethod.Get, "/governance/health");
        notAuditor.Headers.Add("X-Api-Key", "demo-support-bot");
        using var forbidden = await client.SendAsync(notAuditor);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.DoesNotContain("Governance console", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var auditor = new HttpRequestMessage(HttpMethod.Get, "/governance/health");
        auditor.Headers.Add("X-Api-Key", "demo-auditor");
        using var allowed = await client.SendAsync(auditor);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        // In a browser too: the page the auditor sees is not shown to anyone else.
        await using var context = await browser.NewContextAsync(new Dictionary<string, string> { ["X-Api-Key"] = "demo-support-bot" });
        var page = await context.NewPageAsync();
        var url = client.BaseAddress!.ToString().TrimEnd('/') + "/governance";
        var refused = await Assert.ThrowsAsync<Microsoft.Playwright.PlaywrightException>(() => page.GotoAsync(url));
        Assert.Contains("ERR_HTTP_RESPONSE_CODE_FAILURE", refused.Message, StringComparison.Ordinal); // an empty 403: Chromium shows its own error page
        Assert.Equal(0, await page.Locator("#executions").CountAsync());
        var answer = await page.APIRequest.GetAsync(url);
        Assert.Equal(403, answer.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Map_refuses_without_an_authorization_policy(string? policy)
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var refused = Assert.Throws<InvalidOperationException>(() => app.MapGovernanceConsole("/governance", o => o.AuthorizationPolicy = policy));

        Assert.Contains("AuthorizationPolicy", refused.Message, StringComparison.Ordinal);
        Assert.Contains("LocalOnlyDevelopment", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_with_a_policy_or_local_only_development_use_succeeds()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        Assert.NotNull(app.MapGovernanceConsole("/governance", o => o.AuthorizationPolicy = "auditors"));
        Assert.NotNull(app.MapGovernanceConsole("/local", o => o.LocalOnlyDevelopment = true));
    }
}
