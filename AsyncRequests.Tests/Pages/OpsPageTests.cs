using AsyncRequests.Api;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AsyncRequests.Tests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class OpsPageTests(TestServers servers, Browser browser) : PageTest(servers, browser)
{
    protected override IReadOnlyDictionary<string, string?> Settings => AdminKeys.Settings();

    private ILocator Rows => Page.Locator("#rows tr");

    [Fact]
    public async Task The_page_works_under_its_content_security_policy_without_a_violation()
    {
        var id = await Pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });
        await Pipeline.WaitForTerminalAsync(id);
        var response = await Page.GotoAsync("/admin/");

        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, await response!.HeaderValueAsync("Content-Security-Policy"));
        await UseKeyAsync(AdminKeys.Key);
        await Expect(Rows).ToHaveCountAsync(1);
        await Rows.First.Locator("button.link").ClickAsync();
        await Expect(Page.Locator("#detail-fields")).ToContainTextAsync("succeeded");
        Assert.Empty(PolicyViolations);
    }

    [Fact]
    public async Task A_wrong_key_shows_an_error_and_nothing_else()
    {
        await Page.GotoAsync("/admin/");

        await UseKeyAsync("not-the-admin-key-at-all");

        await Expect(Page.Locator("#key-error")).ToContainTextAsync("The key was refused (401)");
        await Expect(Page.Locator("#console")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task With_the_right_key_a_failed_request_is_found_by_filter_and_retried_to_its_terminal_state()
    {
        var succeeded = await Pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });
        var failed = await Pipeline.SubmitAsync("fail", new { mode = "permanent" });
        await Pipeline.WaitForTerminalAsync(succeeded);
        await Pipeline.WaitForTerminalAsync(failed);
        await Page.GotoAsync("/admin/");

        await UseKeyAsync(AdminKeys.Key);

        await Expect(Rows).ToHaveCountAsync(2);
        await Expect(Page.Locator("[data-stat=failed] strong")).ToHaveTextAsync("1");
        await Expect(Page.Locator("[data-stat=succeeded] strong")).ToHaveTextAsync("1");
        Assert.Equal(0, await Page.EvaluateAsync<int>("localStorage.length"));
        Assert.Equal(AdminKeys.Key, await Page.EvaluateAsync<string>("sessionStorage.getItem('asyncrequests.adminKey')"));

        await Page.SelectOptionAsync("#filter [name=status]", "failed");
        await Page.ClickAsync("#filter button[type=submit]");

        await Expect(Rows).ToHaveCountAsync(1);
        await Expect(Rows.First).ToContainTextAsync(failed.ToString());
        await Expect(Rows.First).ToContainTextAsync("Simulated permanent failure.");

        await Rows.First.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(Page.Locator("#detail-id")).ToHaveTextAsync(failed.ToString());
        await Expect(Page.Locator("#history tr")).ToHaveCountAsync(3);
        await Page.ClickAsync("#retry");

        // The page follows the retried request live: a new attempt cycle that fails again.
        await Expect(Page.Locator("#history tr")).ToHaveCountAsync(6);
        await Expect(Page.Locator("#history")).ToContainTextAsync("retried");
        await Expect(Page.Locator("#detail-fields dd.status")).ToHaveTextAsync("failed");
        await Expect(Page.Locator("#detail-error")).ToBeEmptyAsync();
        var document = await Pipeline.GetAsync(failed);
        Assert.Equal(RequestStatus.Failed, document.Status);
        Assert.Equal(6, document.History.Count);
    }

    [Fact]
    public async Task Request_data_that_looks_like_markup_is_shown_as_text()
    {
        const string hostile = "<img src=x onerror=alert(1)>";
        var id = await Pipeline.SubmitAsync("transform", new { text = hostile });
        await Pipeline.WaitForTerminalAsync(id);
        await Page.GotoAsync("/admin/");
        await UseKeyAsync(AdminKeys.Key);

        await Rows.First.GetByRole(AriaRole.Button).ClickAsync();

        await Expect(Page.Locator("#detail-outcome")).ToContainTextAsync($"\"lower\": \"{hostile}\"");
        await Expect(Page.Locator("img")).ToHaveCountAsync(0);
        Assert.Empty(Dialogs);
    }

    private async Task UseKeyAsync(string key)
    {
        await Page.FillAsync("#key", key);
        await Page.ClickAsync("#key-form button[type=submit]");
    }
}
