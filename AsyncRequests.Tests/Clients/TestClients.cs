using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Tests.Admin;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

/// <summary>Settings that require authentication, and clients made through the admin API as an operator would.</summary>
public static class TestClients
{
    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = AdminKeys.Settings(new() { ["Clients:RequireAuthentication"] = "true" });
        foreach (var (name, value) in more ?? [])
        {
            settings[name] = value;
        }

        return settings;
    }

    public static async Task<ClientCreated> CreateAsync(this Infrastructure.Pipeline pipeline, string name)
    {
        using var response = await pipeline.AdminAsync(HttpMethod.Post, "/admin/clients", JsonContent.Create(new { name }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ClientCreated>())!;
    }

    /// <summary>One call of the admin API with the admin key, <paramref name="content"/> its body if it has one.</summary>
    public static async Task<HttpResponseMessage> AdminAsync(
        this Infrastructure.Pipeline pipeline, HttpMethod method, string path, HttpContent? content = null)
    {
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await admin.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A client of the pipeline's Api that sends <paramref name="key"/> as its bearer token.</summary>
    public static HttpClient ClientWith(this Infrastructure.Pipeline pipeline, string key)
    {
        var client = new HttpClient { BaseAddress = pipeline.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static Task<HttpResponseMessage> SubmitAsync(this HttpClient client, string? idempotencyKey = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/requests")
        {
            Content = JsonContent.Create(new { type = "multiply", input = new { num1 = 6, num2 = 7 } }),
        };
        if (idempotencyKey is not null)
        {
            message.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(message);
    }

    public static async Task<int> CountRequestsAsync(this Infrastructure.Pipeline pipeline)
    {
        await using var db = pipeline.CreateDbContext();
        return await db.Requests.CountAsync();
    }
}
