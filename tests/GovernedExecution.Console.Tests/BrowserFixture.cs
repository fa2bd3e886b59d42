using Microsoft.Playwright;

namespace GovernedExecution.Console.Tests;

/// <summary>
/// The distribution's Chromium, driven by Playwright by executable path: nothing is downloaded at build or run time
/// (the package's build targets copy only its driver, and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set). A missing browser
/// fails the tests with the command that installs it; they are never skipped.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException(MissingMessage);

    internal static string MissingMessage => $"Chromium is not installed at {ChromiumPath}: the console's browser tests need it. Install the distribution's package: apt-get install -y chromium";

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        if (!File.Exists(ChromiumPath))
        {
            return; // every test then fails with MissingMessage
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh browser context (its own cookies and downloads), with the headers every request should carry.</summary>
    public async Task<IBrowserContext> NewContextAsync(IDictionary<string, string>? headers = null)
    {
        Assert.True(File.Exists(ChromiumPath), MissingMessage);
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            AcceptDownloads = true,
            ExtraHTTPHeaders = headers is null ? null : new Dictionary<string, string>(headers),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
