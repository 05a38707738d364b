namespace CriticBot.Storage;

/// <summary>How much work waits in the inbox: pending and in-progress deliveries and the oldest one's arrival.</summary>
public sealed record InboxSnapshot(long Pending, long Processing, DateTimeOffset? OldestReceivedAt);

public sealed partial class CriticBotStore
{
    /// <summary>The inbox's depth and its oldest unfinished delivery, for /metrics and the home page (one query).</summary>
    public async Task<InboxSnapshot> GetInboxSnapshotAsync(CancellationToken ct)
    {
        var snapshot = await ReadOneAsync("""
            SELECT SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN status = 'processing' THEN 1 ELSE 0 END),
                   MIN(received_at)
            FROM deliveries WHERE status IN ('pending', 'processing')
            """, reader => new InboxSnapshot(
                SqlDatabase.NullableInt64(reader, 0) ?? 0,
                SqlDatabase.NullableInt64(reader, 1) ?? 0,
                SqlDatabase.NullableInt64(reader, 2) is { } oldest ? DateTimeOffset.FromUnixTimeMilliseconds(oldest) : null), ct);
        return snapshot ?? new InboxSnapshot(0, 0, null);
    }
}
