using GovernedExecution.Testing;
using Microsoft.Playwright;

namespace GovernedExecution.Console.Tests;

/// <summary>
/// Screenshots of each surface over the AgentToolGuard sample's lineage. Taken on every run (and checked to be
/// images); written to docs/images when GOVEXEC_UPDATE_SCREENSHOTS=1, which is how docs/console.md's are made.
/// </summary>
[Collection(BrowserGroup.Name)]
public sealed class ScreenshotTests(BrowserFixture browser) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("console-shots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Each_surface_is_captured()
    {
        var (log, key) = await ConsoleLogs.RunAgentToolGuardAsync(_folder);
        var policies = Path.Combine(TestPaths.RepositoryRoot, "samples", "AgentToolGuard", "policies");
        var target = Environment.GetEnvironmentVariable("GOVEXEC_UPDATE_SCREENSHOTS") == "1" ? Path.Combine(TestPaths.RepositoryRoot, "docs", "images") : Path.Combine(_folder, "images");
        Directory.CreateDirectory(target);
        var request = Path.Combine(_folder, "request.json");
        await File.WriteAllTextAsync(request, """{"principal":{"type":"Agent","id":"support-bot"},"action":{"type":"Action","id":"refund"},"resource":{"type":"Order","id":"A-1001"},"context":{"amount":20}}""");
        var keyName = Path.Combine(_folder, "minter");
        var artifact = Path.Combine(_folder, "refund.cose");
        Assert.Equal(0, await Cli.GovexecApp.RunAsync(["keys", "generate", "--out", keyName], TextWriter.Null, TextWriter.Null));
        Assert.Equal(0, await Cli.GovexecApp.RunAsync(["artifact", "mint", "--key", keyName + ".key.pem", "--policies", policies, "--request", request, "--audience", "agent-tools", "--out", artifact], TextWriter.Null, TextWriter.Null));
        await using var server = await ConsoleServer.StartAsync([log], key, policies, keyName + ".pub.pem");
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        async Task ShotAsync(string name)
        {
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var path = Path.Combine(target, $"console-{name}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            var bytes = await File.ReadAllBytesAsync(path);
            Assert.True(bytes.Length > 1000 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', name);
        }

        await page.GotoAsync(server.Url);
        await ConsoleBrowserTests.VerifiedStatusAsync(page);
        await ShotAsync("explorer");

        await page.GotoAsync(server.Url + "?outcome=Completed&q=refund");
        await page.Locator("#executions a.open").Last.ClickAsync();
        await page.WaitForSelectorAsync("#records");
        await page.Locator("button[data-tree=expand]").ClickAsync();
        await ShotAsync("execution");

        await page.GotoAsync(server.Url + "verify");
        await page.Locator("input[name=audience]").FillAsync("agent-tools");
        await page.Locator("#artifact-file").SetInputFilesAsync(artifact);
        await page.Locator("#request-file").SetInputFilesAsync(request);
        await ConsoleBrowserTests.SubmitAsync(page);
        await ShotAsync("proof-viewer");

        await page.GotoAsync(server.Url + "policies");
        await ShotAsync("policies");

        await ConsoleLogs.RunCallsAsync(_folder, permitted: 12, denied: 3);
        await page.GotoAsync(server.Url + "health");
        await ShotAsync("health");
    }
}
