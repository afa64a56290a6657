using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ClientsOwnRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_requests_idempotency_key",
                table: "requests");

            // Every existing request becomes the anonymous client's. A constant default is only recorded in
            // the catalog: the table is not rewritten.
            migrationBuilder.AddColumn<string>(
                name: "client_id",
                table: "requests",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "anonymous");

            migrationBuilder.CreateTable(
                name: "clients",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    disabled = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_clients", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "client_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    client_id = table.Column<string>(type: "character varying(64)", nullable: false),
                    digest = table.Column<byte[]>(type: "bytea", nullable: false),
                    prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_client_keys", x => x.id);
                    table.ForeignKey(
                        name: "FK_client_keys_clients_client_id",
                        column: x => x.client_id,
                        principalTable: "clients",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "clients",
                columns: new[] { "id", "created_at", "disabled", "name" },
                values: new object[] { "anonymous", new DateTimeOffset(new DateTime(1970, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), false, "Anonymous (Development)" });

            migrationBuilder.CreateIndex(
                name: "ix_requests_client_idempotency_key",
                table: "requests",
                columns: new[] { "client_id", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_requests_client_unfinished",
                table: "requests",
                column: "client_id",
                filter: "status IN ('pending', 'processing')");

            migrationBuilder.CreateIndex(
                name: "IX_client_keys_client_id",
                table: "client_keys",
                column: "client_id");

            migrationBuilder.CreateIndex(
                name: "IX_client_keys_digest",
                table: "client_keys",
                column: "digest",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "client_keys");

            migrationBuilder.DropTable(
                name: "clients");

            migrationBuilder.DropIndex(
                name: "ix_requests_client_idempotency_key",
                table: "requests");

            migrationBuilder.DropIndex(
                name: "ix_requests_client_unfinished",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "client_id",
                table: "requests");

            migrationBuilder.CreateIndex(
                name: "IX_requests_idempotency_key",
                table: "requests",
                column: "idempotency_key",
                unique: true,
                filter: "idempotency_key IS NOT NULL");
        }
    }
}
