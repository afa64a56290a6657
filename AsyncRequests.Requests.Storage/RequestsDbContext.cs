using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AsyncRequests.Requests.Storage;

public sealed class RequestsDbContext(DbContextOptions<RequestsDbContext> options) : DbContext(options)
{
    public DbSet<AsyncRequest> Requests => Set<AsyncRequest>();

    public DbSet<StatusChange> StatusChanges => Set<StatusChange>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<ApiClient> Clients => Set<ApiClient>();

    public DbSet<ApiClientKey> ClientKeys => Set<ApiClientKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var status = new ValueConverter<RequestStatus, string>(s => s.ToWireName(), s => RequestStatusExtensions.ParseWireName(s));
        var webhookState = new ValueConverter<WebhookState, string>(s => s.ToWireName(), s => WebhookStateExtensions.ParseWireName(s));

        modelBuilder.Entity<AsyncRequest>(request =>
        {
            request.ToTable("requests");
            request.Property(r => r.Id).ValueGeneratedNever();
            request.Property(r => r.Type).HasMaxLength(64);
            request.Property(r => r.Input).HasColumnType("jsonb");
            request.Property(r => r.Result).HasColumnType("jsonb");
            request.Property(r => r.Status).HasConversion(status).HasMaxLength(16);
            request.Property(r => r.ProgressStage).HasMaxLength(64);
            request.Property(r => r.TraceParent).HasMaxLength(55);
            request.Property(r => r.TraceState).HasMaxLength(512);
            request.Property(r => r.IdempotencyKey).HasMaxLength(200);
            request.Property(r => r.RequestHash).HasMaxLength(64);
            // Partial indexes: every write pays only for the rows a query looks for. Most requests carry
            // no key; the relay looks for unsent rows.
            // No foreign key to clients: clients are never deleted, and the check would cost every insert a lookup.
            // The default gives existing rows, and writers that predate clients, the anonymous client.
            request.Property(r => r.ClientId).HasMaxLength(ApiClient.MaxIdLength).HasDefaultValue(ApiClient.AnonymousId);
            request.HasIndex(r => new { r.ClientId, r.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL")
                .HasDatabaseName("ix_requests_client_idempotency_key");
            // The per-client cap on unfinished requests counts here; finished requests never enter it.
            request.HasIndex(r => r.ClientId).HasFilter("status IN ('pending', 'processing')").HasDatabaseName("ix_requests_client_unfinished");
            request.HasIndex(r => r.CreatedAt, "ix_requests_unpublished").HasFilter("published_at IS NULL");

            // The admin list's keyset order (created_at, id), unfiltered and within a status; the status one
            // also bounds the retention purge and finds pending rows by age (backpressure, admin statistics):
            // a second, partial index of pending rows only cost every insert one more index entry.
            // Only completed rows enter the completed_at index.
            request.HasIndex(r => new { r.CreatedAt, r.Id }).HasDatabaseName("ix_requests_created");
            request.HasIndex(r => new { r.Status, r.CreatedAt, r.Id }).HasDatabaseName("ix_requests_status_created");
            request.HasIndex(r => r.CompletedAt).HasFilter("completed_at IS NOT NULL").HasDatabaseName("ix_requests_completed");

            // The database holds no foreign key for this (see migration CheapRequestWrites): a history row
            // is only written with its request's insert or by a guarded update of that request.
            request.HasMany(r => r.History).WithOne().HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StatusChange>(change =>
        {
            change.ToTable("status_changes");
            // Keyed by request first: the one index serves reading a history in order and deleting it.
            change.HasKey(c => new { c.RequestId, c.Id });
            change.Property(c => c.Id).UseIdentityByDefaultColumn();
            change.Property(c => c.Status).HasConversion(status).HasMaxLength(16);
            change.Property(c => c.Detail).HasMaxLength(2000);
        });

        // Written by a trigger on requests (see migration WebhookDeliveries), in the transaction that made
        // the request terminal; the foreign key's cascade lets the retention purge take them along.
        modelBuilder.Entity<WebhookDelivery>(delivery =>
        {
            delivery.ToTable("webhook_deliveries");
            delivery.Property(d => d.Id).HasMaxLength(64);
            delivery.Property(d => d.RequestStatus).HasConversion(status).HasMaxLength(16);
            delivery.Property(d => d.State).HasConversion(webhookState).HasMaxLength(16);
            delivery.Property(d => d.LastError).HasMaxLength(500);
            delivery.HasOne<AsyncRequest>().WithMany().HasForeignKey(d => d.RequestId).OnDelete(DeleteBehavior.Cascade);
            delivery.HasIndex(d => new { d.RequestId, d.CreatedAt });

            // The dispatcher's poll reads only due pending rows: delivered and failed ones never enter it.
            delivery.HasIndex(d => d.NextAttemptAt, "ix_webhook_deliveries_due").HasFilter("state = 'pending'");
        });

        modelBuilder.Entity<ApiClient>(client =>
        {
            client.ToTable("clients");
            client.Property(c => c.Id).HasMaxLength(ApiClient.MaxIdLength).ValueGeneratedNever();
            client.Property(c => c.Name).HasMaxLength(ApiClient.MaxNameLength);
            client.HasMany(c => c.Keys).WithOne().HasForeignKey(k => k.ClientId).OnDelete(DeleteBehavior.Cascade);
            client.HasData(new ApiClient { Id = ApiClient.AnonymousId, Name = "Anonymous (Development)", CreatedAt = DateTimeOffset.UnixEpoch });
        });

        modelBuilder.Entity<ApiClientKey>(key =>
        {
            key.ToTable("client_keys");
            key.Property(k => k.Id).HasMaxLength(32).ValueGeneratedNever();
            key.Property(k => k.Prefix).HasMaxLength(16);
            // Every authentication looks a key up by its digest.
            key.HasIndex(k => k.Digest).IsUnique();
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }
    }

    // A failed save is never retried inside its transaction here, so the savepoint EF Core would
    // wrap it in is two wasted round trips.
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        Database.AutoSavepointsEnabled = false;
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
