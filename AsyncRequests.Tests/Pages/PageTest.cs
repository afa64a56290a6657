using AsyncRequests.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AsyncRequests.Tests.Pages;

/// <summary>
/// A real system (see <see cref="Infrastructure.Pipeline"/>) and a fresh browser tab on it. A failed
/// test leaves a screenshot of the page in <c>TestResults/screenshots</c> beside the test assembly.
/// </summary>
public abstract class PageTest(TestServers servers, Browser browser) : IAsyncLifetime
{
    private readonly List<string> _dialogs = [];
    private readonly List<string> _policyViolations = [];
    private IBrowserContext? _context;

    protected Infrastructure.Pipeline Pipeline { get; private set; } = null!;

    protected IPage Page { get; private set; } = null!;

    /// <summary>Messages of every alert, confirm or prompt the page opened; injected script would open one.</summary>
    protected IReadOnlyList<string> Dialogs => _dialogs;

    /// <summary>
    /// Every Content-Security-Policy violation the page reported: a blocked inline script, style or
    /// handler, or a load from elsewhere. The browser blocks them, so a violation is a broken page.
    /// </summary>
    protected IReadOnlyList<string> PolicyViolations => _policyViolations;

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public async ValueTask InitializeAsync()
    {
        Pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 1, Settings);
        _context = await browser.NewContextAsync(Pipeline.Client.BaseAddress!);
        Page = await _context.NewPageAsync();
        Page.Dialog += async (_, dialog) =>
        {
            _dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        await Page.ExposeFunctionAsync("reportPolicyViolation", (string violation) => _policyViolations.Add(violation));
        await Page.AddInitScriptAsync("""
            document.addEventListener("securitypolicyviolation", e =>
              reportPolicyViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`));
            """);
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _policyViolations.Add(message.Text);
            }
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result == TestResult.Failed)
        {
            var directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots"));
            var path = Path.Combine(directory.FullName, $"{GetType().Name}.{TestContext.Current.TestMethod?.MethodName}.png");
            await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
            TestContext.Current.SendDiagnosticMessage($"Screenshot of the failed page: {path}");
        }

        if (_context is not null)
        {
            await _context.DisposeAsync();
        }

        await Pipeline.DisposeAsync();
    }

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
