using AsyncRequests.Requests.Queue;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>The queue message body: Api and Processor instances of different versions share a queue during a rollout.</summary>
public sealed class QueueMessageFormatTests
{
    [Fact]
    public void A_message_names_its_client_in_a_short_field()
    {
        var id = Guid.CreateVersion7();

        var body = new RequestMessage(id, "multiply", "c-123").ToJson();

        Assert.Equal($$"""{"requestId":"{{id}}","type":"multiply","client":"c-123"}""", body);
        Assert.Equal(new RequestMessage(id, "multiply", "c-123"), RequestMessage.TryParse(body));
    }

    [Theory]
    [InlineData("""{"requestId":"0193a1b2-0000-7000-8000-000000000001","type":"multiply"}""")]
    [InlineData("""{"requestId":"0193a1b2-0000-7000-8000-000000000001","type":"multiply","client":null}""")]
    [InlineData("""{"requestId":"0193a1b2-0000-7000-8000-000000000001","type":"multiply","client":""}""")]
    public void A_message_without_a_client_is_the_anonymous_clients(string body)
    {
        Assert.Equal(
            new RequestMessage(Guid.Parse("0193a1b2-0000-7000-8000-000000000001"), "multiply", "anonymous"),
            RequestMessage.TryParse(body));
    }
}
