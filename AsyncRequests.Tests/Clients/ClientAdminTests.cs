using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Tests.Admin;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientAdminTests(TestServers servers)
{
    [Fact]
    public async Task A_new_client_gets_a_key_shown_once_and_the_database_holds_no_plaintext_key()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var created = await pipeline.CreateAsync("Billing service");
        using var client = pipeline.ClientWith(created.Key);
        using var submitted = await client.SubmitAsync(idempotencyKey: "order-1");
        using var admin = pipeline.ClientWith(AdminKeys.Key);
        using var secondKey = await admin.PostAsync($"/admin/clients/{created.Id}/keys", null, TestContext.Current.CancellationToken);
        var second = await secondKey.Content.ReadFromJsonAsync<KeyCreated>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal(HttpStatusCode.Created, secondKey.StatusCode);
        Assert.Equal("Billing service", created.Name);
        Assert.NotEqual(created.KeyId, second!.KeyId);
        var listed = await admin.GetStringAsync("/admin/clients", TestContext.Current.CancellationToken);
        var clients = JsonSerializer.Deserialize<List<ClientSummary>>(listed, JsonSerializerOptions.Web)!;
        var billing = Assert.Single(clients, c => c.Id == created.Id);
        Assert.Equal([created.KeyId, second.KeyId], billing.Keys.Select(k => k.KeyId));
        Assert.Equal(created.Key[..10], billing.Keys[0].Prefix);
        Assert.NotNull(billing.Keys[0].LastUsedAt);
        Assert.Null(billing.Keys[1].LastUsedAt);
        Assert.Contains(clients, c => c.Id == "anonymous");
        Assert.DoesNotContain(created.Key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Key, listed, StringComparison.Ordinal);

        var everything = await DumpDatabaseAsync(pipeline);
        Assert.Contains(created.Id, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key[10..], everything, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Key[10..], everything, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\": \"\"}")]
    [InlineData("{\"name\": \"   \"}")]
    [InlineData("{\"name\": \"bad\\u0000name\"}")]
    [InlineData("{\"name\": \"line\\nbreak\"}")]
    [InlineData("{\"name\": 42}")]
    [InlineData("not json")]
    public async Task A_bad_client_body_is_a_400_problem_and_creates_nothing(string body)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());

        using var response = await pipeline.AdminAsync(
            HttpMethod.Post, "/admin/clients", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var db = pipeline.CreateDbContext();
        Assert.Equal(["anonymous"], await db.Clients.Select(c => c.Id).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await db.ClientKeys.CountAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("POST", "/admin/clients/cl_0000000000000000/keys")]
    [InlineData("DELETE", "/admin/clients/cl_0000000000000000/keys/key_0000000000000000")]
    [InlineData("POST", "/admin/clients/cl_0000000000000000/disable")]
    [InlineData("POST", "/admin/clients/cl_0000000000000000/enable")]
    [InlineData("POST", "/admin/clients/bad%20id/keys")]
    [InlineData("DELETE", "/admin/clients/anonymous/keys/bad%20id")]
    public async Task An_unknown_client_or_key_is_a_404_problem(string method, string path)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());

        using var response = await pipeline.AdminAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_client_routes_need_the_admin_key()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var created = await pipeline.CreateAsync("Billing service");
        using var asClient = pipeline.ClientWith(created.Key);

        using var list = await asClient.GetAsync("/admin/clients", TestContext.Current.CancellationToken);
        using var create = await asClient.PostAsJsonAsync("/admin/clients", new { name = "mine" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
    }

    /// <summary>Every row of every table of the pipeline's database, as text.</summary>
    private static async Task<string> DumpDatabaseAsync(Infrastructure.Pipeline pipeline)
    {
        await using var db = pipeline.CreateDbContext();
        return await db.Database
            .SqlQueryRaw<string>(
                """
                SELECT string_agg(query_to_xml(format('SELECT * FROM %I', table_name), true, false, '')::text, E'\n') AS "Value"
                FROM information_schema.tables WHERE table_schema = 'public'
                """)
            .SingleAsync(TestContext.Current.CancellationToken);
    }
}
