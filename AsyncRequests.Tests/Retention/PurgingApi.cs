using AsyncRequests.Api.Requests;
using AsyncRequests.Api.Retention;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace AsyncRequests.Tests.Retention;

/// <summary>
/// One more Api instance on a pipeline's database, with its own clock and retention settings, whose
/// retention passes the test reads from its log.
/// </summary>
public sealed class PurgingApi : IAsyncDisposable
{
    private readonly ServiceHost<RequestSubmitter> _host;
    private readonly FakeLogCollector _logs;

    private PurgingApi(ServiceHost<RequestSubmitter> host)
    {
        _host = host;
        _logs = host.Services.GetFakeLogCollector();
    }

    /// <summary>Every retention pass logged so far, with what it purged.</summary>
    public IReadOnlyList<Purged> Passes =>
        [.. _logs.GetSnapshot()
            .Where(r => r.Category == typeof(RetentionPurge).FullName && r.Message.StartsWith("Retention pass purged", StringComparison.Ordinal))
            .Select(r => new Purged(Count(r, "Succeeded"), Count(r, "Failed"), Count(r, "Cancelled")))];

    public Purged Total =>
        Passes.Aggregate(new Purged(0, 0, 0), (sum, pass) => new Purged(sum.Succeeded + pass.Succeeded, sum.Failed + pass.Failed, sum.Cancelled + pass.Cancelled));

    public static PurgingApi Start(Infrastructure.Pipeline pipeline, TimeProvider clock, IReadOnlyDictionary<string, string?>? retention = null)
    {
        var settings = new Dictionary<string, string?>(pipeline.Settings)
        {
            ["Retention:SucceededAfterDays"] = "7",
            ["Retention:FailedAfterDays"] = "30",
            ["Retention:CancelledAfterDays"] = "7",
            ["Retention:IntervalSeconds"] = "3600",
            [$"Logging:LogLevel:{typeof(RetentionPurge).FullName}"] = "Information",
        };
        foreach (var (name, value) in retention ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        return new PurgingApi(ServiceHost<RequestSubmitter>.Start(
            settings,
            services =>
            {
                services.AddSingleton(clock);
                services.AddFakeLogging();
            },
            overHttp: false));
    }

    public Task WaitUntilAsync(Func<PurgingApi, bool> condition) =>
        Eventually.HoldsAsync(
            () => condition(this),
            () => $"The purge did not get there in time; it logged: {string.Join(" | ", _logs.GetSnapshot().Select(r => r.Message))}",
            TimeSpan.FromSeconds(60));

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static long Count(FakeLogRecord record, string name) =>
        long.Parse(record.StructuredState!.Single(s => s.Key == name).Value!, System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record Purged(long Succeeded, long Failed, long Cancelled);
