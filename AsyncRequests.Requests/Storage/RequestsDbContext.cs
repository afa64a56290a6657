using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AsyncRequests.Requests.Storage;

public sealed class RequestsDbContext(DbContextOptions<RequestsDbContext> options) : DbContext(options)
{
    public DbSet<AsyncRequest> Requests => Set<AsyncRequest>();

    public DbSet<StatusChange> StatusChanges => Set<StatusChange>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var status = new ValueConverter<RequestStatus, string>(s => s.ToWireName(), s => RequestStatusExtensions.ParseWireName(s));

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
            request.HasIndex(r => r.IdempotencyKey).IsUnique();
            // Keeps the relay's scan for unsent messages cheap however large the table grows.
            request.HasIndex(r => r.CreatedAt).HasFilter("published_at IS NULL").HasDatabaseName("ix_requests_unpublished");
            request.HasIndex(r => new { r.Status, r.Type, r.Id });
            // The admin list's keyset order (created_at, id), unfiltered and within a status; the status one
            // also bounds the retention purge. Only completed rows enter the completed_at index.
            request.HasIndex(r => new { r.CreatedAt, r.Id }).HasDatabaseName("ix_requests_created");
            request.HasIndex(r => new { r.Status, r.CreatedAt, r.Id }).HasDatabaseName("ix_requests_status_created");
            request.HasIndex(r => r.CompletedAt).HasFilter("completed_at IS NOT NULL").HasDatabaseName("ix_requests_completed");
            request.HasMany(r => r.History).WithOne().HasForeignKey(c => c.RequestId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StatusChange>(change =>
        {
            change.ToTable("status_changes");
            change.Property(c => c.Status).HasConversion(status).HasMaxLength(16);
            change.Property(c => c.Detail).HasMaxLength(2000);
            change.HasIndex(c => new { c.RequestId, c.Id });
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }
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
