namespace AsyncRequests.Requests.Storage;

/// <summary>
/// What the Processor, which runs no EF Core, knows of the schema the Api migrates: it waits until the
/// newest migration is recorded. A test holds these to the migrations' own names, so a new migration that
/// is not named here fails it.
/// </summary>
public static class RequestStoreSchema
{
    /// <summary>EF Core's migrations history table.</summary>
    public const string MigrationsHistoryTable = "__EFMigrationsHistory";

    public const string LatestMigration = "20261205140000_ClientLimitOverrides";
}
