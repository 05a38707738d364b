using System.Globalization;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>Review lease renewal, coalescing of queued deliveries, and the hourly model-call budgets.</summary>
public sealed partial class CriticBotStore : IModelCallBudgetLedger
{
    public async Task<bool> ExtendReviewLeaseAsync(long reviewId, string workerId, DateTimeOffset leaseUntil, CancellationToken ct) =>
        await WriteAsync("""
            UPDATE reviews SET lease_until = @lease_until
            WHERE id = @id AND status = 'in_progress' AND claimed_by = @worker
            """, ct, ("@id", reviewId), ("@worker", workerId), ("@lease_until", leaseUntil.ToUnixTimeMilliseconds())) == 1;

    public async Task<long?> GetLatestDeliveryIdAsync(string repository, int pullRequest, CancellationToken ct) =>
        await ReadScalarInt64Async("""
            SELECT MAX(id) FROM deliveries WHERE repository = @repository AND pull_request = @pr
            """, ct, ("@repository", repository), ("@pr", pullRequest));

    public async Task<long?> GetNewerPendingDeliveryIdAsync(string repository, int pullRequest, string eventName, long afterId, CancellationToken ct) =>
        await ReadScalarInt64Async("""
            SELECT MAX(id) FROM deliveries
            WHERE repository = @repository AND pull_request = @pr AND status = 'pending' AND event = @event AND id > @after
            """, ct, ("@repository", repository), ("@pr", pullRequest), ("@event", eventName), ("@after", afterId));

    public Task<int> CoalesceDeliveriesAsync(string repository, int pullRequest, string eventName, long afterId, long upToId, string outcome, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'done', outcome = @outcome, claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE repository = @repository AND pull_request = @pr AND status = 'pending' AND event = @event
              AND id > @after AND id <= @up_to
            """, ct, ("@repository", repository), ("@pr", pullRequest), ("@event", eventName), ("@after", afterId),
            ("@up_to", upToId), ("@outcome", outcome), ("@now", now.ToUnixTimeMilliseconds()));

    public Task<ModelCallGrant> ReserveModelCallsAsync(ModelCallReservation reservation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var window = reservation.WindowStart.ToUnixTimeMilliseconds();
        return _db.WriteAsync(async connection =>
        {
            // One transaction: create both counters, lock them (repository first, then author, always in this
            // order, so two reviews never wait on each other crosswise), read, and take what both allow. The no-op
            // UPDATE takes the row lock on PostgreSQL; SQLite's writer already holds the database's write lock.
            await ExecuteAsync(connection, "DELETE FROM model_call_budgets WHERE window_start < @old",
                ("@old", window - (long)TimeSpan.FromDays(1).TotalMilliseconds));
            var used = new long[2];
            var scopes = new[] { ("repository", reservation.Repository), ("author", reservation.Author) };
            for (var i = 0; i < scopes.Length; i++)
            {
                (string, object?)[] key = [("@scope", scopes[i].Item1), ("@subject", scopes[i].Item2), ("@window", window)];
                await ExecuteAsync(connection, """
                    INSERT INTO model_call_budgets (scope, subject, window_start, used) VALUES (@scope, @subject, @window, 0)
                    ON CONFLICT (scope, subject, window_start) DO NOTHING
                    """, key);
                await ExecuteAsync(connection, """
                    UPDATE model_call_budgets SET used = used WHERE scope = @scope AND subject = @subject AND window_start = @window
                    """, key);
                await using var read = Command(connection, """
                    SELECT used FROM model_call_budgets WHERE scope = @scope AND subject = @subject AND window_start = @window
                    """, key);
                used[i] = Convert.ToInt64(await read.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            }

            var repositoryLeft = Math.Max(0, reservation.RepositoryLimit - used[0]);
            var authorLeft = Math.Max(0, reservation.AuthorLimit - used[1]);
            var granted = (int)Math.Max(0, Math.Min(reservation.Wanted, Math.Min(repositoryLeft, authorLeft)));
            if (granted > 0)
            {
                await ExecuteAsync(connection, """
                    UPDATE model_call_budgets SET used = used + @calls
                    WHERE window_start = @window
                      AND ((scope = 'repository' AND subject = @repository) OR (scope = 'author' AND subject = @author))
                    """, ("@calls", granted), ("@window", window), ("@repository", reservation.Repository), ("@author", reservation.Author));
            }

            return new ModelCallGrant(granted, repositoryLeft, authorLeft);
        }, ct);
    }

    public Task ReturnModelCallsAsync(ModelCallReservation reservation, int calls, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        return calls <= 0 ? Task.CompletedTask : WriteAsync("""
            UPDATE model_call_budgets SET used = CASE WHEN used > @calls THEN used - @calls ELSE 0 END
            WHERE window_start = @window
              AND ((scope = 'repository' AND subject = @repository) OR (scope = 'author' AND subject = @author))
            """, ct, ("@calls", calls), ("@window", reservation.WindowStart.ToUnixTimeMilliseconds()),
            ("@repository", reservation.Repository), ("@author", reservation.Author));
    }

    private async Task<long?> ReadScalarInt64Async(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = Command(connection, _db.Render(sql), parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }
}
