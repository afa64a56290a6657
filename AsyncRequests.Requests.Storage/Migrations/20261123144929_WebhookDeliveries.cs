using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class WebhookDeliveries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "callback_url",
                table: "requests",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    request_status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    locked_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    payload = table.Column<byte[]>(type: "bytea", nullable: true),
                    last_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_status_code = table.Column<int>(type: "integer", nullable: true),
                    last_error = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "FK_webhook_deliveries_requests_request_id",
                        column: x => x.request_id,
                        principalTable: "requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_deliveries_request_id_created_at",
                table: "webhook_deliveries",
                columns: new[] { "request_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_due",
                table: "webhook_deliveries",
                column: "next_attempt_at",
                filter: "state = 'pending'");

            // Written by hand: every path that finishes a request (the Processor's outcome batch, a cancel,
            // the dead-letter watcher, an admin action) records its webhook in the same transaction, here in
            // one place. The WHEN clause is checked before anything is queued, so requests without a
            // callback pay nothing. A request retried by an admin leaves its terminal state: a delivery of
            // the old outcome not yet made is superseded, and the new outcome gets a delivery of its own.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION record_webhook_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.status IN ('succeeded', 'failed', 'cancelled') THEN
                        INSERT INTO webhook_deliveries (id, request_id, request_status, state, attempts, next_attempt_at, created_at)
                        VALUES ('msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.id, NEW.status, 'pending', 0, now(), now());
                    ELSE
                        UPDATE webhook_deliveries
                        SET state = 'failed', locked_until = NULL, finished_at = now(),
                            last_error = 'Superseded: the request was retried before this outcome was delivered.'
                        WHERE request_id = NEW.id AND state = 'pending';
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER requests_record_webhook_delivery AFTER UPDATE OF status ON requests
                    FOR EACH ROW
                    WHEN (NEW.callback_url IS NOT NULL AND NEW.status <> OLD.status
                          AND (NEW.status IN ('succeeded', 'failed', 'cancelled') OR OLD.status IN ('succeeded', 'failed', 'cancelled')))
                    EXECUTE FUNCTION record_webhook_delivery();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER requests_record_webhook_delivery ON requests;
                DROP FUNCTION record_webhook_delivery();
                """);

            migrationBuilder.DropTable(
                name: "webhook_deliveries");

            migrationBuilder.DropColumn(
                name: "callback_url",
                table: "requests");
        }
    }
}
