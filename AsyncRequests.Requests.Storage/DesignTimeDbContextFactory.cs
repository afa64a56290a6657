using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AsyncRequests.Requests.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting a service.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RequestsDbContext>
{
    public RequestsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RequestsDbContext>().UseNpgsql("Host=localhost;Database=requestsdb").Options);
}
