using System.Data.Common;
using System.IO.Compression;
using System.Text;
using Microsoft.Data.Sqlite;

namespace CriticBot.Storage;

/// <summary>
/// <see cref="ICriticBotStore"/> on one SQLite file in WAL mode. Every write of this process goes through one
/// <see cref="SqliteWriter"/> (group commit, synchronous=FULL: a write is on disk when its task completes);
/// reads use pooled connections and run beside it. Several processes may share the file: SQLite's lock and
/// the busy timeout serialise their writers, and every claim is a single atomic statement or transaction.
/// </summary>
public sealed partial class SqliteCriticBotStore : ICriticBotStore, IAsyncDisposable, IDisposable
{
    private const string GzipEncoding = "gzip";

    private readonly string _connectionString;
    private readonly SqliteWriter _writer;
    private int _disposed;

    /// <param name="databasePath">The database file; its directory must exist.</param>
    public SqliteCriticBotStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(databasePath),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // WAL lets readers run beside the writer; FULL makes every commit durable before we answer 2xx.
            SqliteWriter.Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        }
        catch
        {
            connection.Dispose();
            SqliteConnection.ClearPool(connection);
            throw;
        }

        _writer = new SqliteWriter(connection);
    }

    public Task MigrateAsync(CancellationToken ct) => _writer.WriteAsync(connection =>
    {
        Execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """);
        var applied = new HashSet<long>();
        using (var command = Command(connection, "SELECT version FROM schema_migrations"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt64(0));
            }
        }

        foreach (var (version, name, sql) in SqliteMigrations.All)
        {
            if (applied.Contains(version))
            {
                continue;
            }

            Execute(connection, sql);
            using var record = Command(connection,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)",
                ("@version", version), ("@name", name), ("@now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            record.ExecuteNonQuery();
        }

        return applied.Count;
    }, ct);

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, "SELECT COUNT(*) FROM schema_migrations");
        await command.ExecuteScalarAsync(ct);
    }

    /// <summary>The highest applied schema version (0 before migration).</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    // Deliveries.

    public Task<bool> TryAddDeliveryAsync(NewDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        // Compress on the caller's thread, outside the single writer: webhook JSON shrinks ~5x.
        var body = Compress(delivery.Body.Span);
        var receivedAt = delivery.ReceivedAt.ToUnixTimeMilliseconds();
        return _writer.WriteAsync(connection =>
        {
            using var command = Command(connection, """
                INSERT INTO deliveries (delivery_id, event, action, installation_id, repository, pull_request,
                    body, body_encoding, status, attempts, next_attempt_at, received_at, finished_at)
                VALUES (@delivery_id, @event, @action, @installation_id, @repository, @pull_request,
                    @body, @encoding, @status, 0, @received_at, @received_at, @finished_at)
                ON CONFLICT (delivery_id) DO UPDATE
                SET status = excluded.status, attempts = 0, next_attempt_at = excluded.next_attempt_at,
                    claimed_by = NULL, lease_until = NULL, outcome = NULL, finished_at = excluded.finished_at,
                    last_error = 'redelivered after: ' || COALESCE(deliveries.last_error, 'failure')
                WHERE deliveries.status = 'failed'
                """,
                ("@delivery_id", delivery.DeliveryId), ("@event", delivery.Event), ("@action", delivery.Action),
                ("@installation_id", delivery.InstallationId), ("@repository", delivery.RepositoryFullName),
                ("@pull_request", delivery.PullRequest), ("@body", body), ("@encoding", GzipEncoding),
                ("@status", delivery.Ignored ? DeliveryStatus.Ignored : DeliveryStatus.Pending),
                ("@received_at", receivedAt), ("@finished_at", delivery.Ignored ? receivedAt : null));
            return command.ExecuteNonQuery() == 1;
        }, ct);
    }

    public async Task<ClaimedDelivery?> ClaimNextDeliveryAsync(string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        var nowMs = now.ToUnixTimeMilliseconds();
        var row = await _writer.WriteAsync(connection =>
        {
            // One statement: the pick and the claim cannot be split by another writer. A delivery waits while an
            // earlier delivery of the same pull request is unfinished (receipt order per PR).
            using var command = Command(connection, """
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
                    LIMIT 1)
                RETURNING id, delivery_id, event, action, installation_id, repository, pull_request,
                    body, body_encoding, attempts, received_at
                """,
                ("@worker", workerId), ("@lease_until", nowMs + (long)lease.TotalMilliseconds), ("@now", nowMs));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            return new
            {
                Id = reader.GetInt64(0),
                DeliveryId = reader.GetString(1),
                Event = reader.GetString(2),
                Action = NullableString(reader, 3),
                InstallationId = NullableInt64(reader, 4),
                Repository = NullableString(reader, 5),
                PullRequest = NullableInt32(reader, 6),
                Body = (byte[])reader.GetValue(7),
                Encoding = reader.GetString(8),
                Attempts = reader.GetInt32(9),
                ReceivedAt = reader.GetInt64(10),
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
            """, ct, ("@id", id), ("@outcome", outcome), ("@now", UtcNowMs()));

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
            """, ct, ("@id", id), ("@reason", reason), ("@now", UtcNowMs()));

    public Task ReleaseDeliveryAsync(long id, CancellationToken ct) =>
        WriteAsync("""
            UPDATE deliveries
            SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                claimed_by = NULL, lease_until = NULL
            WHERE id = @id AND status = 'processing'
            """, ct, ("@id", id));

    public async Task<DeliveryRecord?> GetDeliveryAsync(string deliveryId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT id, delivery_id, event, action, installation_id, repository, pull_request, status, attempts,
                last_error, outcome, claimed_by, received_at, finished_at
            FROM deliveries WHERE delivery_id = @delivery_id
            """, ("@delivery_id", deliveryId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new DeliveryRecord
        {
            Id = reader.GetInt64(0),
            DeliveryId = reader.GetString(1),
            Event = reader.GetString(2),
            Action = NullableString(reader, 3),
            InstallationId = NullableInt64(reader, 4),
            RepositoryFullName = NullableString(reader, 5),
            PullRequest = NullableInt32(reader, 6),
            Status = reader.GetString(7),
            Attempts = reader.GetInt32(8),
            LastError = NullableString(reader, 9),
            Outcome = NullableString(reader, 10),
            ClaimedBy = NullableString(reader, 11),
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(12)),
            FinishedAt = NullableInt64(reader, 13) is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null,
        };
    }

    public async Task<IReadOnlyDictionary<string, int>> CountDeliveriesByStatusAsync(CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, "SELECT status, COUNT(*) FROM deliveries GROUP BY status");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    // Installations.

    public Task RecordInstallationAsync(long installationId, string account, string action, CancellationToken ct) =>
        WriteAsync("""
            INSERT INTO installations (installation_id, account, last_action, updated_at)
            VALUES (@id, @account, @action, @now)
            ON CONFLICT (installation_id) DO UPDATE
            SET account = excluded.account, last_action = excluded.last_action, updated_at = excluded.updated_at
            """, ct, ("@id", installationId), ("@account", account), ("@action", action), ("@now", UtcNowMs()));

    public async Task<InstallationRecord?> GetInstallationAsync(long installationId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection,
            "SELECT account, last_action, updated_at FROM installations WHERE installation_id = @id", ("@id", installationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new InstallationRecord(installationId, reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)))
            : null;
    }

    // Reviews.

    public Task<ReviewClaim> ClaimReviewAsync(ReviewKey key, string baseSha, string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        var nowMs = now.ToUnixTimeMilliseconds();
        var leaseUntil = nowMs + (long)lease.TotalMilliseconds;
        return _writer.WriteAsync<ReviewClaim>(connection =>
        {
            // Read-then-write is safe here: this runs inside the writer's BEGIN IMMEDIATE transaction, which
            // holds SQLite's write lock against every other connection and process.
            using (var select = Command(connection, """
                SELECT id, status, claimed_by, lease_until FROM reviews
                WHERE repository = @repository AND pr_number = @pr AND head_sha = @head
                """, ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha)))
            using (var reader = select.ExecuteReader())
            {
                if (reader.Read())
                {
                    var id = reader.GetInt64(0);
                    var status = reader.GetString(1);
                    var holder = NullableString(reader, 2) ?? "";
                    var heldUntil = NullableInt64(reader, 3) ?? 0;
                    if (status != ReviewStatus.InProgress)
                    {
                        return new ReviewClaim.AlreadyDone(status);
                    }

                    // The same worker may take its own claim back (a retried delivery); others wait for expiry.
                    if (holder != workerId && heldUntil >= nowMs)
                    {
                        return new ReviewClaim.Busy(holder, DateTimeOffset.FromUnixTimeMilliseconds(heldUntil));
                    }

                    reader.Close();
                    using var takeOver = Command(connection, """
                        UPDATE reviews SET claimed_by = @worker, lease_until = @lease_until, base_sha = @base,
                            attempts = attempts + 1
                        WHERE id = @id
                        """, ("@worker", workerId), ("@lease_until", leaseUntil), ("@base", baseSha), ("@id", id));
                    takeOver.ExecuteNonQuery();
                    return new ReviewClaim.Claimed(id);
                }
            }

            using var insert = Command(connection, """
                INSERT INTO reviews (repository, pr_number, head_sha, base_sha, status, claimed_by, lease_until, attempts, created_at)
                VALUES (@repository, @pr, @head, @base, 'in_progress', @worker, @lease_until, 1, @now)
                RETURNING id
                """, ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha), ("@base", baseSha),
                ("@worker", workerId), ("@lease_until", leaseUntil), ("@now", nowMs));
            return new ReviewClaim.Claimed(Convert.ToInt64(insert.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }, ct);
    }

    public Task<int> MarkSupersededAsync(string repository, int pullRequest, string exceptHeadSha, CancellationToken ct) =>
        WriteAsync("""
            UPDATE reviews SET status = 'superseded', reason = 'a newer head was pushed', claimed_by = NULL,
                lease_until = NULL, finished_at = @now
            WHERE repository = @repository AND pr_number = @pr AND head_sha <> @head AND status = 'in_progress'
            """, ct, ("@repository", repository), ("@pr", pullRequest), ("@head", exceptHeadSha), ("@now", UtcNowMs()));

    public async Task<bool> IsSupersededAsync(long reviewId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, "SELECT status FROM reviews WHERE id = @id", ("@id", reviewId));
        return await command.ExecuteScalarAsync(ct) is string status && status == ReviewStatus.Superseded;
    }

    public async Task MarkReviewPostedAsync(long reviewId, long githubReviewId, string summaryJson, CancellationToken ct)
    {
        var changed = await WriteAsync("""
            UPDATE reviews SET status = 'posted', github_review_id = @github_id, summary_json = @summary,
                claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", reviewId), ("@github_id", githubReviewId), ("@summary", summaryJson), ("@now", UtcNowMs()));
        EnsureFound(changed, reviewId);
    }

    public async Task MarkReviewFinishedAsync(long reviewId, string status, string reason, CancellationToken ct)
    {
        if (!ReviewStatus.IsFinished(status))
        {
            throw new ArgumentException($"'{status}' is not a finished review status.", nameof(status));
        }

        var changed = await WriteAsync("""
            UPDATE reviews SET status = @status, reason = @reason, claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", reviewId), ("@status", status), ("@reason", reason), ("@now", UtcNowMs()));
        EnsureFound(changed, reviewId);
    }

    public async Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT head_sha FROM reviews
            WHERE repository = @repository AND pr_number = @pr AND status = 'posted'
            ORDER BY finished_at DESC, id DESC
            LIMIT 1
            """, ("@repository", repository), ("@pr", pullRequest));
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<ReviewRecord?> GetReviewAsync(ReviewKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT id, base_sha, status, reason, github_review_id, summary_json, attempts FROM reviews
            WHERE repository = @repository AND pr_number = @pr AND head_sha = @head
            """, ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new ReviewRecord
        {
            Id = reader.GetInt64(0),
            Key = key,
            BaseSha = reader.GetString(1),
            Status = reader.GetString(2),
            Reason = NullableString(reader, 3),
            GitHubReviewId = NullableInt64(reader, 4),
            SummaryJson = NullableString(reader, 5),
            Attempts = reader.GetInt32(6),
        };
    }

    // Candidates and prompts.

    public Task SaveCandidatesAsync(long reviewId, IReadOnlyList<CandidateRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return _writer.WriteAsync(connection =>
        {
            using var command = Command(connection, """
                INSERT INTO candidates (review_id, chunk_index, sample_index, prompt_sha256, path, side, line, start_line,
                    quote, severity, body, score, support, decision, reason, posted)
                VALUES (@review_id, @chunk_index, @sample_index, @prompt_sha256, @path, @side, @line, @start_line,
                    @quote, @severity, @body, @score, @support, @decision, @reason, @posted)
                """);
            foreach (var row in rows)
            {
                Bind(command, ("@review_id", reviewId), ("@chunk_index", row.ChunkIndex), ("@sample_index", row.SampleIndex),
                    ("@prompt_sha256", row.PromptSha256), ("@path", row.Path), ("@side", row.Side), ("@line", row.Line),
                    ("@start_line", row.StartLine), ("@quote", row.Quote), ("@severity", row.Severity), ("@body", row.Body),
                    ("@score", row.Score), ("@support", row.Support), ("@decision", row.Decision), ("@reason", row.Reason),
                    ("@posted", row.Posted ? 1 : 0));
                command.ExecuteNonQuery();
            }

            return rows.Count;
        }, ct);
    }

    public async Task<IReadOnlyList<CandidateRow>> GetCandidatesAsync(long reviewId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT chunk_index, sample_index, prompt_sha256, path, side, line, start_line, quote, severity, body,
                score, support, decision, reason, posted
            FROM candidates WHERE review_id = @review_id ORDER BY id
            """, ("@review_id", reviewId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<CandidateRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new CandidateRow
            {
                ChunkIndex = reader.GetInt32(0),
                SampleIndex = reader.GetInt32(1),
                PromptSha256 = reader.GetString(2),
                Path = NullableString(reader, 3),
                Side = NullableString(reader, 4),
                Line = NullableInt32(reader, 5),
                StartLine = NullableInt32(reader, 6),
                Quote = reader.GetString(7),
                Severity = NullableString(reader, 8),
                Body = reader.GetString(9),
                Score = reader.IsDBNull(10) ? null : reader.GetDouble(10),
                Support = NullableInt32(reader, 11),
                Decision = reader.GetString(12),
                Reason = NullableString(reader, 13),
                Posted = reader.GetInt64(14) != 0,
            });
        }

        return rows;
    }

    public Task SavePromptsAsync(long reviewId, IReadOnlyList<PromptRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var now = UtcNowMs();
        return _writer.WriteAsync(connection =>
        {
            using var prompt = Command(connection, """
                INSERT INTO prompts (sha256, system_prompt, user_prompt, created_at) VALUES (@sha256, @system, @user, @now)
                ON CONFLICT (sha256) DO NOTHING
                """);
            using var link = Command(connection, """
                INSERT INTO review_prompts (review_id, sha256) VALUES (@review_id, @sha256)
                ON CONFLICT (review_id, sha256) DO NOTHING
                """);
            foreach (var row in rows)
            {
                Bind(prompt, ("@sha256", row.Sha256), ("@system", row.System), ("@user", row.User), ("@now", now));
                prompt.ExecuteNonQuery();
                Bind(link, ("@review_id", reviewId), ("@sha256", row.Sha256));
                link.ExecuteNonQuery();
            }

            return rows.Count;
        }, ct);
    }

    public async Task<PromptRow?> GetPromptAsync(string sha256, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection,
            "SELECT system_prompt, user_prompt FROM prompts WHERE sha256 = @sha256", ("@sha256", sha256));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new PromptRow(sha256, reader.GetString(0), reader.GetString(1)) : null;
    }

    // Posted comments.

    public Task SavePostedCommentsAsync(long reviewId, IReadOnlyList<PostedCommentRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return _writer.WriteAsync(connection =>
        {
            InsertComments(connection, reviewId, rows);
            return rows.Count;
        }, ct);
    }

    public async Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT DISTINCT c.fingerprint FROM review_comments c
            JOIN reviews r ON r.id = c.review_id
            WHERE r.repository = @repository AND r.pr_number = @pr
            """, ("@repository", repository), ("@pr", pullRequest));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var fingerprints = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            fingerprints.Add(reader.GetString(0));
        }

        return fingerprints;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync();
        // Pooled read connections keep the file open; let go so the file can be moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // Helpers.

    private Task<int> WriteAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters) =>
        _writer.WriteAsync(connection =>
        {
            using var command = Command(connection, sql, parameters);
            return command.ExecuteNonQuery();
        }, ct);

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            if (command.Parameters.Contains(name))
            {
                command.Parameters[name].Value = value ?? DBNull.Value;
            }
            else
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static void EnsureFound(int changed, long reviewId)
    {
        if (changed == 0)
        {
            throw new InvalidOperationException($"Review {reviewId} does not exist.");
        }
    }

    private static long UtcNowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? NullableInt64(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static int? NullableInt32(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

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
