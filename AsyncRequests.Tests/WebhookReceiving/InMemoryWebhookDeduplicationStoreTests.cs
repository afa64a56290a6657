using AsyncRequests.Client.AspNetCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.WebhookReceiving;

public sealed class InMemoryWebhookDeduplicationStoreTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_claimed_id_is_in_progress_for_others_and_once_released_can_be_claimed_again()
    {
        var store = Store(new FakeTimeProvider());

        Assert.Equal(WebhookClaim.Claimed, await store.TryClaimAsync("msg_a", Cancellation));
        Assert.Equal(WebhookClaim.InProgress, await store.TryClaimAsync("msg_a", Cancellation));
        await store.ReleaseAsync("msg_a", Cancellation);

        Assert.Equal(WebhookClaim.Claimed, await store.TryClaimAsync("msg_a", Cancellation));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task A_handled_id_is_a_duplicate_until_its_window_ends_and_is_then_forgotten()
    {
        var time = new FakeTimeProvider();
        var store = Store(time, windowMinutes: 10);
        await HandleAsync(store, "msg_a");

        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.Equal(WebhookClaim.AlreadyHandled, await store.TryClaimAsync("msg_a", Cancellation));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(WebhookClaim.Claimed, await store.TryClaimAsync("msg_a", Cancellation));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task At_capacity_the_oldest_handled_id_is_forgotten_first_and_the_count_stays_bounded()
    {
        var time = new FakeTimeProvider();
        var store = Store(time, capacity: 3);
        foreach (var id in new[] { "msg_1", "msg_2", "msg_3", "msg_4" })
        {
            await HandleAsync(store, id);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(3, store.Count);
        Assert.Equal(WebhookClaim.Claimed, await store.TryClaimAsync("msg_1", Cancellation));
        foreach (var id in new[] { "msg_2", "msg_3", "msg_4" })
        {
            Assert.Equal(WebhookClaim.AlreadyHandled, await store.TryClaimAsync(id, Cancellation));
        }
    }

    [Fact]
    public async Task An_id_handled_again_after_it_expired_keeps_its_new_window()
    {
        var time = new FakeTimeProvider();
        var store = Store(time, windowMinutes: 10);
        await HandleAsync(store, "msg_a");
        time.Advance(TimeSpan.FromMinutes(10));
        await HandleAsync(store, "msg_a");

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(WebhookClaim.AlreadyHandled, await store.TryClaimAsync("msg_a", Cancellation));
        Assert.Equal(1, store.Count);
    }

    private static async Task HandleAsync(InMemoryWebhookDeduplicationStore store, string id)
    {
        Assert.Equal(WebhookClaim.Claimed, await store.TryClaimAsync(id, Cancellation));
        await store.CompleteAsync(id, Cancellation);
    }

    private static InMemoryWebhookDeduplicationStore Store(TimeProvider time, int windowMinutes = 60, int capacity = 100) =>
        new(Options.Create(new WebhookReceiverOptions { DeduplicationWindowMinutes = windowMinutes, MaxRememberedIds = capacity }), time);
}
