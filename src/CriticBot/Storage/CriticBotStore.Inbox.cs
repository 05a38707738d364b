using System.IO.Compression;
using System.Text;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>The inbox: deliveries and installations.</summary>
public sealed partial class CriticBotStore
{
    private const string GzipEncoding = "gzip";

    public Task<bool> TryAddDeliveryAsync(NewDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        // Compress on the caller's thread, outside the SQLite writer: webhook JSON shrinks ~5x.
        var body = Compress(delivery.Body.Span);
        var receivedAt = delivery.ReceivedAt.ToUnixTimeMilliseconds();
        var status = delivery.FailedBecause is not null ? DeliveryStatus.Failed
            : delivery.Ignored ? DeliveryStatus.Ignored
            : DeliveryStatus.Pending;
        return _db.WriteStatementAsync(async connection => await ExecuteAsync(connection, """
            INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, pull_request,
                body, body_encoding, status, attempts, next_attempt_at, received_at, finished_at, last_error)
            VALUES (@delivery_id, @event, @action, @installation_id, @repository, @pull_request,
                @body, @encoding, @status, 0, @received_at, @received_at, @finished_at, @last_error)
            ON CONFLICT (delivery_id) DO UPDATE
            SET status = excluded.status, attempts = 0, next_attempt_at = excluded.next_attempt_at,
                claimed_by = NULL, lease_until = NULL, outcome = NULL, finished_at = excluded.finished_at,
                last_error = COALESCE(excluded.last_error, 'redelivered after: ' || COALESCE(deliveries.last_error, 'failure'))
            WHERE deliveries.status = 'failed'
            """,
            ("@delivery_id", delivery.DeliveryId), ("@event", delivery.Event), ("@action", delivery.Action),
            ("@installation_id", delivery.InstallationId), ("@repository", delivery.RepositoryFullName),
            ("@pull_request", delivery.PullRequest), ("@body", body), ("@encoding", GzipEncoding),
            ("@status", status.ToStored()), ("@received_at", receivedAt),
            ("@finished_at", status == DeliveryStatus.Pending ? null : receivedAt), ("@last_error", delivery.FailedBecause)) == 1, ct);
    }

    public async Task<ClaimedDelivery?> ClaimNextDeliveryAsync(string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        var nowMs = now.ToUnixTimeMilliseconds();
        // One statement: the pick and the claim cannot be split by another writer. A delivery waits while an
        // earlier delivery of the same pull request is unfinished (receipt order per PR). On PostgreSQL the pick
        // passes over rows another replica is claiming this instant; an earlier row of the same PR that is being
        // claimed still counts as unfinished in the NOT EXISTS, so a PR never runs twice at once.
        var sql = _db.Render("""
            UPDATE deliveries
            SET status = 'processing', claimed_by = @worker, lease_until = @lease_until, attempts = attempts + 1
            WHERE id = (
                SELECT d.id FROM deliveries d
                WHERE ((d.status = 'pending' AND d.next_attempt_at <= @now)
                    OR (d.status = 'processing' AND d.lease_until < @now))
                  AND NOT EXISTS (
                    SELECT 1 FROM deliveries e
                    WHERE e.repository = d.repository AND e.pull_request = d.pull_request
                      AND e.id < d.id AND e.status IN ('pending', 'processing'))
                ORDER BY d.id
                LIMIT 1
                {skip_locked})
            RETURNING id, delivery_id, event, action, installation_id, repository, pull_request,
                body, body_encoding, attempts, received_at
            """);
        var row = await _db.WriteStatementAsync(async connection =>
        {
            await using var command = Command(connection, sql,
                ("@worker", workerId), ("@lease_until", nowMs + (long)lease.TotalMilliseconds), ("@now", nowMs));
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                return null;
            }

            return new
            {
                Id = Int64(reader, 0),
                DeliveryId = reader.GetString(1),
                Event = reader.GetString(2),
                Action = NullableString(reader, 3),
                InstallationId = NullableInt64(reader, 4),
                Repository = NullableString(reader, 5),
                PullRequest = NullableInt32(reader, 6),
                Body = (byte[])reader.GetValue(7),
                Encoding = reader.GetString(8),
                Attempts = Int32(reader, 9),
                ReceivedAt = Int64(reader, 10),
            };
        }, ct);

        if (row is null)
        {
            return null;
        }

        return new ClaimedDelivery
        {
            Id = row.Id,
            DeliveryId = row.DeliveryId,
            Event = row.Event,
            Action = row.Action,
            InstallationId = row.InstallationId,
            RepositoryFullName = row.Repository,
            PullRequest = row.PullRequest,
            Body = Decode(row.Body, row.Encoding),
            Attempt = row.Attempts,
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.ReceivedAt),
        };
    }

    public async Task<bool> ExtendDeliveryLeaseAsync(long id, string workerId, DateTimeOffset leaseUntil, CancellationToken ct) =>
        await WriteAsync("""
            UPDATE deliveries SET lease_until = @lease_until
            WHERE id = @id AND status = 'processing' AND claimed_by = @worker
            """, ct, ("@id", id), ("@worker", workerId), ("@lease_until", leaseUntil.ToUnixTimeMilliseconds())) == 1;

    public Task CompleteDeliveryAsync(long id, string outcome, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'done', outcome = @outcome, claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", id), ("@outcome", outcome), ("@now", NowMs()));

    public Task RetryDeliveryAsync(long id, string lastError, DateTimeOffset nextAttemptAt, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'pending', last_error = @error, next_attempt_at = @next, claimed_by = NULL, lease_until = NULL
            WHERE id = @id
            """, ct, ("@id", id), ("@error", lastError), ("@next", nextAttemptAt.ToUnixTimeMilliseconds()));

    public Task FailDeliveryAsync(long id, string reason, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'failed', last_error = @reason, claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", id), ("@reason", reason), ("@now", NowMs()));

    public Task ReleaseDeliveryAsync(long id, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                claimed_by = NULL, lease_until = NULL
            WHERE id = @id AND status = 'processing'
            """, ct, ("@id", id));

    /// <summary>One delivery as stored, by GitHub's delivery id (operators and tests).</summary>
    public Task<DeliveryRecord?> GetDeliveryAsync(string deliveryId, CancellationToken ct) => ReadOneAsync("""
        SELECT id, delivery_id, event, action, installation_id, repository, pull_request, status, attempts,
            last_error, outcome, claimed_by, received_at, finished_at
        FROM deliveries WHERE delivery_id = @delivery_id
        """, reader => new DeliveryRecord
        {
            Id = Int64(reader, 0),
            DeliveryId = reader.GetString(1),
            Event = reader.GetString(2),
            Action = NullableString(reader, 3),
            InstallationId = NullableInt64(reader, 4),
            RepositoryFullName = NullableString(reader, 5),
            PullRequest = NullableInt32(reader, 6),
            Status = StoredStatus.ParseDelivery(reader.GetString(7)),
            Attempts = Int32(reader, 8),
            LastError = NullableString(reader, 9),
            Outcome = NullableString(reader, 10),
            ClaimedBy = NullableString(reader, 11),
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 12)),
            FinishedAt = NullableInt64(reader, 13) is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null,
        }, ct, ("@delivery_id", deliveryId));

    /// <summary>Number of deliveries per status.</summary>
    public async Task<IReadOnlyDictionary<DeliveryStatus, int>> CountDeliveriesByStatusAsync(CancellationToken ct)
    {
        var rows = await ReadAllAsync("SELECT status, COUNT(*) FROM deliveries GROUP BY status",
            reader => (Status: StoredStatus.ParseDelivery(reader.GetString(0)), Count: Int32(reader, 1)), ct);
        return rows.ToDictionary(r => r.Status, r => r.Count);
    }

    public Task RecordInstallationAsync(long installationId, string account, string action, CancellationToken ct) =>
        WriteAsync("""
            INSERT INTO installations (installation_id, account, last_action, updated_at)
            VALUES (@id, @account, @action, @now)
            ON CONFLICT (installation_id) DO UPDATE
            SET account = excluded.account, last_action = excluded.last_action, updated_at = excluded.updated_at
            """, ct, ("@id", installationId), ("@account", account), ("@action", action), ("@now", NowMs()));

    public Task<InstallationRecord?> GetInstallationAsync(long installationId, CancellationToken ct) => ReadOneAsync(
        "SELECT account, last_action, updated_at FROM installations WHERE installation_id = @id",
        reader => new InstallationRecord(installationId, reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 2))),
        ct, ("@id", installationId));

    private static byte[] Compress(ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream(body.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    private static string Decode(byte[] stored, string encoding)
    {
        if (encoding != GzipEncoding)
        {
            throw new InvalidDataException($"Unknown delivery body encoding '{encoding}'.");
        }

        using var gzip = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
