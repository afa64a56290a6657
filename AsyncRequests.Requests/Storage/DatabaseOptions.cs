namespace AsyncRequests.Requests.Storage;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Apply pending EF Core migrations when the Api starts (on in Development).</summary>
    public bool MigrateOnStartup { get; set; }
}
