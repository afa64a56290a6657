using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AdminListAndStatsIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_requests_completed",
                table: "requests",
                column: "completed_at",
                filter: "completed_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_requests_created",
                table: "requests",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_requests_status_created",
                table: "requests",
                columns: new[] { "status", "created_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_requests_completed",
                table: "requests");

            migrationBuilder.DropIndex(
                name: "ix_requests_created",
                table: "requests");

            migrationBuilder.DropIndex(
                name: "ix_requests_status_created",
                table: "requests");
        }
    }
}
