using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Requests.Storage;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Apply pending EF Core migrations when the Api starts (on in Development).</summary>
    public bool MigrateOnStartup { get; set; }

    /// <summary>From <c>ConnectionStrings:requestsdb</c>, where Aspire puts the database resource's connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The most connections this process opens. Every replica of every service gets its own pool, so
    /// their sum must stay below the server's <c>max_connections</c> (see README, Connection budget).
    /// </summary>
    [Range(2, 1000)]
    public int MaxPoolSize { get; set; } = 30;

    /// <summary>
    /// (Api) How long a read or cancel waits for a turn on the connections kept for them before it is
    /// answered 503: long enough to ride out a burst, short enough that a stuck database is told at once.
    /// </summary>
    [Range(0, 30_000)]
    public int ConnectionWaitMilliseconds { get; set; } = 1000;
}

/// <summary>Checks the attributes of <see cref="DatabaseOptions"/> in generated code, without reflection.</summary>
[OptionsValidator]
public sealed partial class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>;
