using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class DropDuplicatePendingIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // ix_requests_status_created (status, created_at, id) serves the reads of pending rows by age
            // (backpressure, admin statistics) that this partial index served. Every insert paid for both:
            // measured on 20,000 inserted rows, 5 WAL records per row with it, 4 without (-14% WAL bytes).
            migrationBuilder.DropIndex(
                name: "ix_requests_pending",
                table: "requests");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_requests_pending",
                table: "requests",
                column: "created_at",
                filter: "status = 'pending'");
        }
    }
}
