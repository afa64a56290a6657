using System.Text.RegularExpressions;
using AsyncRequests.Api;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AsyncRequests.Tests.Pages;

[Collection(BrowserCollection.Name)]
public sealed class UserPageTests(TestServers servers, Browser browser) : PageTest(servers, browser)
{
    private ILocator LatestRequest => Page.Locator("#requests > li").First;

    [Fact]
    public async Task Multiply_5_by_10_shows_succeeded_with_50_through_live_updates()
    {
        var eventStreams = new List<string>();
        Page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/events", StringComparison.Ordinal))
            {
                eventStreams.Add(request.Url);
            }
        };
        await Page.GotoAsync("/");

        await Page.SelectOptionAsync("#type", "multiply");
        await Page.FillAsync("#field-num1", "5");
        await Page.FillAsync("#field-num2", "10");
        await Page.ClickAsync("button[type=submit]");

        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(LatestRequest.Locator("pre")).ToContainTextAsync("\"product\": 50");
        var id = await LatestRequest.Locator("code").TextContentAsync();
        Assert.Contains($"/requests/{id}/events", eventStreams.Select(url => new Uri(url).AbsolutePath));
    }

    [Fact]
    public async Task The_page_works_under_its_content_security_policy_without_a_violation()
    {
        var response = await Page.GotoAsync("/");

        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, await response!.HeaderValueAsync("Content-Security-Policy"));
        await Page.SelectOptionAsync("#type", "multiply");
        await Page.ClickAsync("button[type=submit]");
        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        Assert.Empty(PolicyViolations);
    }

    [Fact]
    public async Task The_API_reference_works_under_its_looser_policy_without_a_violation()
    {
        var response = await Page.GotoAsync("/scalar", new() { WaitUntil = WaitUntilState.NetworkIdle });

        Assert.Equal(SecurityHeaders.ApiReferencePolicy, await response!.HeaderValueAsync("Content-Security-Policy"));
        await Expect(Page.GetByText("AsyncRequests.Api").First).ToBeVisibleAsync();
        Assert.Empty(PolicyViolations);
    }

    [Fact]
    public async Task A_validation_error_is_shown_against_its_field()
    {
        await Page.GotoAsync("/");

        await Page.SelectOptionAsync("#type", "multiply");
        await Page.FillAsync("#field-num1", "1e300");
        await Page.ClickAsync("button[type=submit]");

        var num1 = Page.Locator("#field-num1");
        await Expect(num1).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Page.Locator("[data-field='input.num1']")).ToContainTextAsync("must be at least -1000000000000000 and at most 1000000000000000");
        await Expect(Page.Locator("[data-field='input.num2']")).ToBeEmptyAsync();
        await Expect(Page.Locator("#requests > li")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_text_analysis_request_shows_its_progress_stages()
    {
        await Page.GotoAsync("/");

        await Page.SelectOptionAsync("#type", "text-analysis");
        await Page.FillAsync("#field-delayMs", "4500");
        await Page.ClickAsync("button[type=submit]");

        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(LatestRequest.Locator(".stages li")).ToHaveTextAsync(["ocr", "ml", "search", "done"]);
        await Expect(LatestRequest.Locator("pre")).ToContainTextAsync("\"sentiment\": \"positive\"");
    }

    [Fact]
    public async Task A_result_that_looks_like_markup_is_shown_as_text()
    {
        const string hostile = "<img src=x onerror=alert(1)>";
        await Page.GotoAsync("/");

        await Page.SelectOptionAsync("#type", "transform");
        await Page.FillAsync("#field-text", hostile);
        await Page.ClickAsync("button[type=submit]");

        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(LatestRequest.Locator("pre")).ToContainTextAsync($"\"lower\": \"{hostile}\"");
        await Expect(Page.Locator("img")).ToHaveCountAsync(0);
        Assert.Empty(Dialogs);
    }

    [Fact]
    public async Task The_type_list_and_the_examples_come_from_the_catalog()
    {
        await Page.GotoAsync("/");

        await Expect(Page.Locator("#type option")).ToHaveTextAsync(["compute", "fail", "multiply", "text-analysis", "transform"]);
        await Page.SelectOptionAsync("#type", "compute");
        await Expect(Page.Locator("#field-numbers")).ToHaveValueAsync("10, 20, 30, 40, 50");
        await Expect(Page.Locator("#type-description")).ToHaveTextAsync(new Regex("minimum and maximum"));
        await Expect(Page.Locator("#api-reference")).ToBeVisibleAsync();
    }
}
