using AsyncRequests.Api.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncRequests.Tests.Admin;

/// <summary>What no HTTP request can carry (the query is decoded to valid UTF-16 first) but the reader must still refuse.</summary>
public sealed class RequestListQueryTests
{
    // Built here: a lone surrogate does not survive as theory data.
    [Fact]
    public void A_type_that_cannot_be_stored_or_holds_a_control_character_is_refused()
    {
        foreach (var type in new[] { "a" + '\ud800' + "b", "\udc00", "a\u0000b", "a\u007fb" })
        {
            var (query, errors) = RequestListQuery.Read(null, type, null, null, null, null, Query(("type", type)));

            Assert.Null(query);
            Assert.Equal(["type"], errors.Keys);
        }
    }

    [Fact]
    public void Every_parameter_is_read_ignoring_the_case_of_its_name()
    {
        var cursor = new RequestListCursor(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(10), Guid.NewGuid());

        var (query, errors) = RequestListQuery.Read(
            "failed", "multiply", null, null, "3", cursor.Encode(), Query(("STATUS", "failed"), ("Type", "multiply"), ("limit", "3"), ("cursor", cursor.Encode())));

        Assert.Empty(errors);
        Assert.Equal(new RequestListQuery(RequestStatus.Failed, "multiply", null, null, 3, cursor), query);
    }

    private static QueryCollection Query(params (string Name, string Value)[] parameters) =>
        new(parameters.ToDictionary(p => p.Name, p => new StringValues(p.Value), StringComparer.OrdinalIgnoreCase));
}
