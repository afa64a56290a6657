using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class CheapRequestWrites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Written by hand: the model keeps the relationship (for Include), the database drops the
            // foreign key. Its check costs a lookup and a row lock on the request for every history
            // insert; a history row is only ever inserted together with its request or by a guarded
            // update of it, so it cannot point nowhere. Deleting requests still takes their history,
            // through a statement-level trigger that costs nothing on insert.
            migrationBuilder.DropForeignKey(
                name: "FK_status_changes_requests_request_id",
                table: "status_changes");

            migrationBuilder.Sql(
                """
                CREATE FUNCTION delete_request_history() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM status_changes h USING deleted_requests d WHERE h.request_id = d.id;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER requests_delete_history AFTER DELETE ON requests
                    REFERENCING OLD TABLE AS deleted_requests
                    FOR EACH STATEMENT EXECUTE FUNCTION delete_request_history();
                """);

            migrationBuilder.DropPrimaryKey(
                name: "PK_status_changes",
                table: "status_changes");

            migrationBuilder.DropIndex(
                name: "IX_status_changes_request_id_id",
                table: "status_changes");

            migrationBuilder.DropIndex(
                name: "IX_requests_idempotency_key",
                table: "requests");

            migrationBuilder.DropIndex(
                name: "IX_requests_status_type_id",
                table: "requests");

            migrationBuilder.AddPrimaryKey(
                name: "PK_status_changes",
                table: "status_changes",
                columns: new[] { "request_id", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_requests_idempotency_key",
                table: "requests",
                column: "idempotency_key",
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_requests_pending",
                table: "requests",
                column: "created_at",
                filter: "status = 'pending'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER requests_delete_history ON requests;
                DROP FUNCTION delete_request_history();
                """);

            migrationBuilder.DropPrimaryKey(
                name: "PK_status_changes",
                table: "status_changes");

            migrationBuilder.DropIndex(
                name: "IX_requests_idempotency_key",
                table: "requests");

            migrationBuilder.DropIndex(
                name: "ix_requests_pending",
                table: "requests");

            migrationBuilder.AddPrimaryKey(
                name: "PK_status_changes",
                table: "status_changes",
                column: "id");

            migrationBuilder.CreateIndex(
                name: "IX_status_changes_request_id_id",
                table: "status_changes",
                columns: new[] { "request_id", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_requests_idempotency_key",
                table: "requests",
                column: "idempotency_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_requests_status_type_id",
                table: "requests",
                columns: new[] { "status", "type", "id" });

            migrationBuilder.AddForeignKey(
                name: "FK_status_changes_requests_request_id",
                table: "status_changes",
                column: "request_id",
                principalTable: "requests",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
