using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ClientLimitOverrides : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Null means the Clients:* default, so existing clients keep the limits they had.
            migrationBuilder.AddColumn<int>(
                name: "burst",
                table: "clients",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "max_pending_requests",
                table: "clients",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "requests_per_second",
                table: "clients",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "burst",
                table: "clients");

            migrationBuilder.DropColumn(
                name: "max_pending_requests",
                table: "clients");

            migrationBuilder.DropColumn(
                name: "requests_per_second",
                table: "clients");
        }
    }
}
