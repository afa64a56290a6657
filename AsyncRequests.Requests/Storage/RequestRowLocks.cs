namespace AsyncRequests.Requests.Storage;

/// <summary>
/// Statements that change several request rows at once lock them first, in id order, through
/// <see cref="LockedInIdOrder"/>. The Api clears outbox marks while the Processor claims, records outcomes and renews
/// leases on the same rows, each statement for a batch. Left to its plan, one statement locks in heap order and
/// another in index or input order, so two that share rows can each hold a row the other waits for: PostgreSQL then
/// waits a second (<c>deadlock_timeout</c>) and aborts one of them, and with it every request of its batch.
/// </summary>
public static class RequestRowLocks
{
    /// <summary>
    /// A condition for the statement's <c>WHERE</c>: the rows of the request ids in the uuid array <c>$1</c>, locked in
    /// id order. It depends on no row, so PostgreSQL evaluates it once, before the statement reads anything, and the
    /// rest of the statement keeps its own plan. False only when none of the ids exists, when there is nothing to change.
    /// </summary>
    public const string LockedInIdOrder =
        "(SELECT count(*) FROM (SELECT FROM requests WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE) AS in_id_order) > 0";
}
