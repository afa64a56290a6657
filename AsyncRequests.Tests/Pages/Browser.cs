using Microsoft.Playwright;

namespace AsyncRequests.Tests.Pages;

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "Browser";
}

/// <summary>
/// The machine's Chromium (Debian's <c>chromium</c> package), driven by Playwright's bundled driver.
/// Playwright's own browser download is never used; set <c>CHROMIUM_PATH</c> to use another build.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private static readonly string[] s_chromiumPaths = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? configured
            : s_chromiumPaths.FirstOrDefault(File.Exists)
              ?? throw new InvalidOperationException("No Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH.");

        // Pages update through Server-Sent Events from a busy machine: wait long, never sleep.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = executable, Headless = true });
    }

    public Task<IBrowserContext> NewContextAsync(Uri baseAddress) =>
        _browser!.NewContextAsync(new() { BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
