using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Clients;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AsyncRequests.Tests.Pages;

/// <summary>Both pages on a service that requires authentication: keys made on the ops page, used on the user page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ClientPagesTests(TestServers servers, Browser browser) : PageTest(servers, browser)
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestClients.Settings(new() { ["Clients:KeyCacheSeconds"] = "1" });

    private ILocator LatestRequest => Page.Locator("#requests > li").First;

    [Fact]
    public async Task A_key_created_on_the_ops_page_submits_on_the_user_page_and_the_request_is_that_clients_only()
    {
        var other = await Pipeline.CreateAsync("Other");
        using var asOther = Pipeline.ClientWith(other.Key);
        using var fromOther = await asOther.SubmitAsync();
        Assert.Equal(HttpStatusCode.Accepted, fromOther.StatusCode);

        await OpenOpsPageAsync();
        await Page.FillAsync("#new-client-name", "Page client");
        await Page.ClickAsync("#new-client button[type=submit]");

        await Expect(Page.Locator("#new-key-client")).ToHaveTextAsync("Page client");
        await Expect(Page.Locator("#new-key-value")).ToHaveTextAsync(new Regex("^ar_"));
        var key = (await Page.Locator("#new-key-value").TextContentAsync())!;
        var client = Page.Locator("#clients tr", new() { HasText = "Page client" });
        await Expect(client.Locator("ul.keys code")).ToHaveTextAsync($"{key[..10]}…");
        var clientId = (await client.GetAttributeAsync("data-client-id"))!;

        await Page.GotoAsync("/");
        await Page.SelectOptionAsync("#type", "multiply");
        await Page.FillAsync("#field-num1", "5");
        await Page.FillAsync("#field-num2", "10");
        await Page.ClickAsync("#submit button[type=submit]");

        await Expect(Page.Locator("#client-key-error")).ToContainTextAsync("needs a client key (401)");
        await Expect(Page.Locator("#requests > li")).ToHaveCountAsync(0);
        await Page.FillAsync("#client-key-value", key);
        await Page.ClickAsync("#client-key button[type=submit]");
        await Page.ClickAsync("#submit button[type=submit]");

        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        await Expect(LatestRequest.Locator("pre")).ToContainTextAsync("\"product\": 50");
        await Expect(Page.Locator("#requests > li")).ToHaveCountAsync(1);
        var id = Guid.Parse((await LatestRequest.Locator("code").TextContentAsync())!);
        Assert.Equal(key, await Page.EvaluateAsync<string>("sessionStorage.getItem('asyncrequests.clientKey')"));
        Assert.Equal(0, await Page.EvaluateAsync<int>("localStorage.length"));
        Assert.DoesNotContain(key, Page.Url, StringComparison.Ordinal);

        using var asPageClient = Pipeline.ClientWith(key);
        var document = await asPageClient.GetFromJsonAsync<RequestStatusDocument>($"/requests/{id}", Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(clientId, document!.ClientId);
        using var asSeenByOther = await asOther.GetAsync($"/requests/{id}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, asSeenByOther.StatusCode);

        await Page.GotoAsync("/admin/");
        await Expect(Page.Locator("#rows tr")).ToHaveCountAsync(2);
        await Expect(Page.Locator($"#rows tr[data-id='{id}'] td.client")).ToHaveTextAsync(clientId);
        await Expect(Page.Locator("#rows tr td.client")).ToHaveTextAsync([clientId, other.Id]);
        Assert.Empty(PolicyViolations);
    }

    [Fact]
    public async Task A_key_revoked_on_the_ops_page_is_refused_and_the_user_page_asks_for_another()
    {
        var created = await Pipeline.CreateAsync("Rotating");
        await OpenOpsPageAsync();
        var client = Page.Locator($"#clients tr[data-client-id='{created.Id}']");

        await client.Locator("button.add-key").ClickAsync();
        await Expect(Page.Locator("#new-key-value")).ToHaveTextAsync(new Regex("^ar_"));
        var second = (await Page.Locator("#new-key-value").TextContentAsync())!;
        await Expect(client.Locator("ul.keys li")).ToHaveCountAsync(2);
        await client.Locator($"ul.keys li[data-key-id='{created.KeyId}'] button.revoke").ClickAsync();

        await Expect(client.Locator("ul.keys li")).ToHaveCountAsync(1);
        await Expect(Page.Locator("#new-key")).ToBeHiddenAsync();
        using var withRevoked = Pipeline.ClientWith(created.Key);
        await Eventually.HoldsAsync(
            async () => await StatusOfAsync(withRevoked) == HttpStatusCode.Unauthorized,
            () => "The revoked key was still accepted.");

        await Page.GotoAsync("/");
        await Page.SelectOptionAsync("#type", "multiply");
        await Page.ClickAsync("#submit button[type=submit]");
        await Page.FillAsync("#client-key-value", created.Key);
        await Page.ClickAsync("#client-key button[type=submit]");
        await Page.ClickAsync("#submit button[type=submit]");

        await Expect(Page.Locator("#client-key-error")).ToContainTextAsync("The key was refused (401)");
        Assert.Null(await Page.EvaluateAsync<string?>("sessionStorage.getItem('asyncrequests.clientKey')"));
        await Page.FillAsync("#client-key-value", second);
        await Page.ClickAsync("#client-key button[type=submit]");
        await Page.ClickAsync("#submit button[type=submit]");
        await Expect(LatestRequest.Locator(".status")).ToHaveTextAsync("succeeded");
        Assert.Equal(1, await Pipeline.CountRequestsAsync());
    }

    [Fact]
    public async Task A_client_disabled_on_the_ops_page_is_refused_until_enabled_again()
    {
        var created = await Pipeline.CreateAsync("Paused");
        using var asClient = Pipeline.ClientWith(created.Key);
        await OpenOpsPageAsync();
        var client = Page.Locator($"#clients tr[data-client-id='{created.Id}']");

        await client.Locator("button.disable").ClickAsync();

        await Expect(client.Locator("td.client-status")).ToHaveTextAsync("disabled");
        await Eventually.HoldsAsync(
            async () => await StatusOfAsync(asClient) == HttpStatusCode.Unauthorized,
            () => "The disabled client's key was still accepted.");

        await client.Locator("button.enable").ClickAsync();

        await Expect(client.Locator("td.client-status")).ToHaveTextAsync("enabled");
        await Eventually.HoldsAsync(
            async () => await StatusOfAsync(asClient) == HttpStatusCode.NotFound,
            () => "The enabled client's key was still refused.");
    }

    [Fact]
    public async Task The_ops_page_shows_the_details_of_a_clients_request()
    {
        var owner = await Pipeline.CreateAsync("Owner");
        using var asOwner = Pipeline.ClientWith(owner.Key);
        using var submitted = await asOwner.SubmitAsync();
        var id = (await submitted.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken))!.Id;
        await OpenOpsPageAsync();

        // Shown while pending or processing, the request is followed live to its end.
        await Page.Locator($"#rows tr[data-id='{id}'] button.link").ClickAsync();

        await Expect(Page.Locator("#detail-id")).ToHaveTextAsync(id.ToString());
        await Expect(Page.Locator("#detail-fields dd.status")).ToHaveTextAsync("succeeded");
        await Expect(Page.Locator("#detail-fields")).ToContainTextAsync(owner.Id);
        await Expect(Page.Locator("#detail-outcome")).ToContainTextAsync("\"product\": 42");
        await Expect(Page.Locator("#history tr")).ToHaveCountAsync(3);
        await Expect(Page.Locator("#detail-error")).ToBeEmptyAsync();
    }

    /// <summary>Whether a key is accepted, without storing anything: 404 for an unknown id once authenticated, else 401.</summary>
    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient client)
    {
        using var response = await client.GetAsync($"/requests/{Guid.CreateVersion7()}", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task OpenOpsPageAsync()
    {
        await Page.GotoAsync("/admin/");
        await Page.FillAsync("#key", AdminKeys.Key);
        await Page.ClickAsync("#key-form button[type=submit]");
        await Expect(Page.Locator("#console")).ToBeVisibleAsync();
    }
}
