using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AsyncRequests.Requests.Storage.Migrations
{
    /// <inheritdoc />
    public partial class NotifyRequestChanges : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Written by hand: each Api listens on request_changes and re-reads the requests its event
            // streams watch. pg_notify is transactional: the notification goes out when the change commits,
            // and not at all if it rolls back. Only updates that move what a stream compares (the version,
            // updated_at, or the status) notify; heartbeats and outbox marks move neither and cost only the
            // WHEN test, evaluated without calling the function. A row trigger rather than a statement
            // trigger with transition tables: those would copy the rows of every update, notifying or not.
            // Inserts notify nothing, as no one can watch a request before its 202.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION notify_request_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('request_changes', NEW.id::text);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER requests_notify_change AFTER UPDATE ON requests
                    FOR EACH ROW
                    WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.status IS DISTINCT FROM NEW.status)
                    EXECUTE FUNCTION notify_request_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER requests_notify_change ON requests;
                DROP FUNCTION notify_request_change();
                """);
        }
    }
}
