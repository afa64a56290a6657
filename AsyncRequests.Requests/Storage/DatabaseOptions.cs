namespace AsyncRequests.Requests.Storage;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Apply pending EF Core migrations when the Api starts (on in Development).</summary>
    public bool MigrateOnStartup { get; set; }

    /// <summary>From <c>ConnectionStrings:requestsdb</c>, where Aspire puts the database resource's connection string.</summary>
    public string? ConnectionString { get; set; }
}
