using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Api.Admin;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Admin;

public sealed class AdminRequestListTests(TestServers servers)
{
    // Now, not a fixed date: retention purges finished requests a week after they finish, and a fixed date
    // would let its first pass delete seeded rows while the test pages through them. Whole seconds, as
    // PostgreSQL keeps microseconds.
    private static readonly DateTimeOffset s_newest = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    private static readonly RequestStatus[] s_statuses = Enum.GetValues<RequestStatus>();
    private static readonly string[] s_types = ["multiply", "compute", "fail"];

    [Fact]
    public async Task Paging_returns_every_matching_row_exactly_once_newest_first_under_every_filter()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var rows = await SeedAsync(pipeline, 157);
        var client = pipeline.Client.AsAdmin();
        var windowStart = s_newest.AddSeconds(-40);
        var windowEnd = s_newest.AddSeconds(-10);

        var filters = new (string Query, Func<AsyncRequest, bool> Matches)[]
        {
            ("", _ => true),
            ("status=failed", r => r.Status == RequestStatus.Failed),
            ("type=compute", r => r.Type == "compute"),
            ("status=succeeded&type=multiply", r => r.Status == RequestStatus.Succeeded && r.Type == "multiply"),
            ($"createdAfter={Format(windowStart)}&createdBefore={Format(windowEnd)}", r => r.CreatedAt > windowStart && r.CreatedAt < windowEnd),
            ($"status=pending&type=fail&createdBefore={Format(windowEnd)}", r => r.Status == RequestStatus.Pending && r.Type == "fail" && r.CreatedAt < windowEnd),
            ("type=transform", _ => false),
        };

        foreach (var (query, matches) in filters)
        {
            var expected = rows.Where(matches).OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => r.Id).ToList();
            var seen = new List<Guid>();
            string? cursor = null;
            var pages = 0;
            do
            {
                var page = await GetPageAsync(client, $"/admin/requests?limit=7&{query}{(cursor is null ? "" : $"&cursor={cursor}")}");
                Assert.InRange(page.Items.Count, expected.Count == 0 ? 0 : 1, 7);
                seen.AddRange(page.Items.Select(i => i.Id));
                cursor = page.NextCursor;
                pages++;
            }
            while (cursor is not null);

            Assert.Equal(expected, seen);
            Assert.Equal(Math.Max(1, (expected.Count + 6) / 7), pages);
        }
    }

    [Fact]
    public async Task A_page_holds_50_summaries_by_default_and_200_at_most()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var rows = await SeedAsync(pipeline, 230);
        var client = pipeline.Client.AsAdmin();

        var first = await GetPageAsync(client, "/admin/requests");
        var largest = await GetPageAsync(client, "/admin/requests?limit=200");

        Assert.Equal(50, first.Items.Count);
        Assert.Equal(200, largest.Items.Count);
        Assert.NotNull(largest.NextCursor);
        var newest = rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).First();
        Assert.Equal(
            new RequestSummary(newest.Id, newest.ClientId, newest.Type, newest.Status, newest.Attempts, newest.CreatedAt, newest.CompletedAt, newest.Error),
            first.Items[0]);
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("status=Failed", "status")]
    [InlineData("status=1", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=AAAA", "cursor")]
    [InlineData("createdBefore=yesterday", "createdBefore")]
    [InlineData("createdAfter=2026-13-01", "createdAfter")]
    [InlineData("type=", "type")]
    [InlineData("cursor===", "cursor")]
    [InlineData("cursor=AAjeK", "cursor")]
    [InlineData("cursor=AAAA';--", "cursor")]
    [InlineData("cursor=", "cursor")]
    [InlineData("type=a%00b", "type")]
    [InlineData("type=a%0Ab", "type")]
    [InlineData("type=multiply&type=fail", "type")]
    [InlineData("limit=5&limit=7", "limit")]
    [InlineData("status=failed&status=failed", "status")]
    [InlineData("statuss=failed", "statuss")]
    [InlineData("client=", "client")]
    [InlineData("client=a%00b", "client")]
    [InlineData("client=a%20b", "client")]
    [InlineData("client=a&client=b", "client")]
    public Task An_invalid_parameter_is_a_validation_problem_naming_it(string query, string parameter) =>
        AssertRefusedAsync(query, parameter);

    public static TheoryData<string, string> OddCursorsAndLongValues() => new()
    {
        // Decodes to a time of day finer than the database keeps: never handed out.
        { "cursor=" + new RequestListCursor(s_newest.AddTicks(1), Guid.NewGuid()).Encode(), "cursor" },
        // The right bytes spelt with padding: never handed out either.
        { "cursor=" + new RequestListCursor(s_newest, Guid.NewGuid()).Encode() + "%3D%3D", "cursor" },
        { "cursor=" + new string('A', 4_000), "cursor" },
        { "type=" + new string('x', 4_000), "type" },
        { "client=" + new string('x', 65), "client" },
        { "limit=" + new string('9', 4_000), "limit" },
        { "createdAfter=" + new string('2', 4_000), "createdAfter" },
    };

    [Theory]
    [MemberData(nameof(OddCursorsAndLongValues))]
    public Task A_cursor_never_handed_out_or_a_very_long_value_is_a_validation_problem_naming_it(string query, string parameter) =>
        AssertRefusedAsync(query, parameter);

    [Fact]
    public async Task A_cursor_handed_out_by_the_API_is_taken_back()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        await SeedAsync(pipeline, 3);
        var client = pipeline.Client.AsAdmin();

        var first = await GetPageAsync(client, "/admin/requests?limit=1");
        var second = await GetPageAsync(client, $"/admin/requests?limit=1&Cursor={first.NextCursor}");

        Assert.NotEqual(first.Items[0].Id, Assert.Single(second.Items).Id);
    }

    private async Task AssertRefusedAsync(string query, string parameter)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());

        using var response = await pipeline.Client.AsAdmin().GetAsync($"/admin/requests?{query}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var errors = problem.RootElement.GetProperty("errors");
        Assert.Equal([parameter], errors.EnumerateObject().Select(e => e.Name));
    }

    private static async Task<RequestPage> GetPageAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RequestPage>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken))!;
    }

    /// <summary>
    /// Rows with every status and several types, three to a timestamp, so the id must break ties in
    /// the order and in the cursor.
    /// </summary>
    private static async Task<List<AsyncRequest>> SeedAsync(Infrastructure.Pipeline pipeline, int count)
    {
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var createdAt = s_newest.AddSeconds(-(i / 3));
            var status = s_statuses[i % s_statuses.Length];
            return new AsyncRequest
            {
                Id = Guid.NewGuid(),
                Type = s_types[i % s_types.Length],
                Input = "{}",
                Status = status,
                Attempts = i % 4,
                Error = status == RequestStatus.Failed ? $"failure {i}" : null,
                CreatedAt = createdAt,
                UpdatedAt = createdAt,
                CompletedAt = status.IsTerminal() ? createdAt.AddSeconds(1) : null,
                PublishedAt = createdAt,
            };
        }).ToList();
        await using var db = pipeline.CreateDbContext();
        db.Requests.AddRange(rows);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return rows;
    }

    private static string Format(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
}
