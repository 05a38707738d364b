using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>What <c>criticbot export</c> reads (docs/export.md): the feedback log joined with the research records, streamed.</summary>
public sealed partial class CriticBotStore : IRepositorySharingLog
{
    // Every review decision calls this: the row is rewritten only when what it says changed.
    public Task RecordSharingAsync(string repository, bool? isPrivate, bool shareFeedback, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return WriteAsync("""
            INSERT INTO repository_sharing (repository, private, share_feedback, updated_at)
            VALUES (@repository, @private, @share, @now)
            ON CONFLICT (repository) DO UPDATE SET private = COALESCE(excluded.private, repository_sharing.private),
                share_feedback = excluded.share_feedback, updated_at = excluded.updated_at
            WHERE repository_sharing.private IS DISTINCT FROM COALESCE(excluded.private, repository_sharing.private)
                OR repository_sharing.share_feedback <> excluded.share_feedback
            """, ct, ("@repository", repository.ToLowerInvariant()), ("@private", isPrivate is { } p ? (p ? 1 : 0) : null),
            ("@share", shareFeedback ? 1 : 0), ("@now", NowMs()));
    }

    /// <summary>Every repository's recorded visibility and consent, keyed by the lower-case OWNER/NAME.</summary>
    public async Task<IReadOnlyDictionary<string, RepositorySharing>> ListRepositorySharingAsync(CancellationToken ct)
    {
        var rows = await ReadAllAsync("SELECT repository, private, share_feedback FROM repository_sharing", reader => new RepositorySharing(
            reader.GetString(0), NullableInt32(reader, 1) is { } p ? p == 1 : null, Int32(reader, 2) == 1), ct);
        return rows.ToDictionary(r => r.Repository, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The value kept under <paramref name="name"/> in export_keys, created with <paramref name="generate"/> the first
    /// time (racing exports agree: the first insert wins, everyone reads it back).
    /// </summary>
    public async Task<string> GetOrCreateExportKeyAsync(string name, Func<string> generate, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(generate);
        await WriteAsync("INSERT INTO export_keys (name, value, created_at) VALUES (@name, @value, @now) ON CONFLICT (name) DO NOTHING",
            ct, ("@name", name), ("@value", generate()), ("@now", NowMs()));
        var row = await ReadOneAsync("SELECT value FROM export_keys WHERE name = @name", reader => reader.GetString(0), ct, ("@name", name));
        return row ?? throw new InvalidOperationException($"export key {name} could not be stored");
    }

    /// <summary>How many events the filter selects (the progress bar's total).</summary>
    public async Task<long> CountExportEventsAsync(ExportFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (where, parameters) = ExportWhere(filter);
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = Command(connection, $"SELECT COUNT(*) FROM feedback_events e WHERE {where}", parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>A reader of prompt texts by hash on a connection of its own (dispose it).</summary>
    public async Task<ExportPromptReader> OpenExportPromptReaderAsync(CancellationToken ct) => new(await _db.OpenReadAsync(ct));

    /// <summary>
    /// Streams the selected events, ordered by the comment they are about (review, fingerprint) and then in recording
    /// order, each with its comment, candidate, call and review. Two ordered streams merged on the review id (no
    /// query per row, no join per event): the events, and the posted comments that have any; the comments of the
    /// current review are held in a small dictionary, shared by all their events. A missed bug's chunk critique is
    /// one look-up per missed bug (they are rare). Memory stays flat however long the log is.
    /// </summary>
    public async IAsyncEnumerable<ExportEvent> ReadExportEventsAsync(ExportFilter filter, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (eventsSql, commentsSql, parameters) = ExportQueries(filter);
        await using var events = await _db.ScanAsync(eventsSql, parameters, ct);
        await using var comments = await _db.ScanAsync(commentsSql, parameters, ct);
        await using var chunks = new ChunkCritiqueReader(_db);

        var ofReview = new Dictionary<string, ExportComment>(StringComparer.Ordinal);
        long? loadedReview = null;
        var commentsLeft = await comments.ReadAsync(ct);
        while (await events.ReadAsync(ct))
        {
            var reviewId = events.GetInt64OrNull(12);
            if (reviewId is { } id && id != loadedReview)
            {
                // Both streams ascend by review id: skip comments of reviews with no selected event, load this one's.
                ofReview.Clear();
                loadedReview = id;
                while (commentsLeft && comments.GetInt64(0) < id)
                {
                    commentsLeft = await comments.ReadAsync(ct);
                }

                // The precision is the review's, the same on each of its comments' rows: read it from the first.
                var precision = commentsLeft && comments.GetInt64(0) == id ? PrecisionOf(comments.GetStringOrNull(3)) : null;
                while (commentsLeft && comments.GetInt64(0) == id)
                {
                    var comment = ReadExportComment(comments, precision);
                    ofReview[comment.Fingerprint] = comment;
                    commentsLeft = await comments.ReadAsync(ct);
                }
            }

            var kind = FeedbackStored.ParseKind(events.GetString(3));
            var fingerprint = events.GetStringOrNull(13);
            var chunkIndex = events.GetInt32OrNull(18);
            yield return new ExportEvent
            {
                Id = events.GetInt64(0),
                Repository = events.GetString(1),
                PullRequest = events.GetInt32(2),
                Kind = kind,
                Value = FeedbackStored.ParseValue(events.GetStringOrNull(4)),
                Rating = events.GetInt32OrNull(5),
                Content = events.GetStringOrNull(6),
                Text = events.GetStringOrNull(7),
                RaterLogin = events.GetStringOrNull(8),
                RaterPermission = events.GetStringOrNull(9),
                RaterIsAuthor = events.GetInt64OrNull(10) is { } isAuthor ? isAuthor == 1 : null,
                OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(events.GetInt64(11)),
                ReviewId = reviewId,
                Fingerprint = fingerprint,
                GitHubReactionId = events.GetInt64OrNull(14),
                EventHeadSha = events.GetStringOrNull(15),
                EventPath = events.GetStringOrNull(16),
                EventLine = events.GetInt32OrNull(17),
                EventChunkIndex = chunkIndex,
                Comment = reviewId is not null && fingerprint is not null ? ofReview.GetValueOrDefault(fingerprint) : null,
                MissedChunk = kind == FeedbackKind.MissedBug && reviewId is { } review && chunkIndex is { } chunk
                    ? await chunks.ReadAsync(review, chunk, ct)
                    : null,
            };
        }
    }

    /// <summary>The export's two scans for <paramref name="filter"/>: the events, and the posted comments that have any.</summary>
    internal static (string Events, string Comments, (string Name, object? Value)[] Parameters) ExportQueries(ExportFilter filter)
    {
        var (where, parameters) = ExportWhere(filter);
        // Walks ix_feedback_events_export (review_id, fingerprint, id) without a sort; on SQLite it covers every
        // column read here, so the walk never visits the table (migration 6).
        var eventsSql = $"""
            SELECT e.id, e.repository, e.pr_number, e.kind, e.value, e.rating, e.content, e.text, e.rater_login, e.rater_permission,
                e.rater_is_author, e.occurred_at, e.review_id, e.fingerprint, e.github_reaction_id, e.head_sha, e.path, e.line, e.chunk_index
            FROM feedback_events e
            WHERE {where}
            ORDER BY e.review_id, e.fingerprint, e.id
            """;
        var commentsSql = $"""
            SELECT rc.review_id, rc.fingerprint, r.head_sha, r.summary_json, rc.path, rc.line, rc.start_line, rc.side, rc.placement,
                c.candidate_index, c.chunk_index, c.sample_index, c.model_path, c.model_line, c.model_end_line, c.quote, c.severity, c.body,
                c.group_id, c.support, c.score, c.prompt_sha256, m.model, m.temperature
            FROM review_comments rc
            JOIN reviews r ON r.id = rc.review_id
            LEFT JOIN candidates_v2 c ON c.review_id = rc.review_id AND c.fingerprint = rc.fingerprint AND c.posted = 1
            LEFT JOIN model_calls m ON m.review_id = c.review_id AND m.chunk_index = c.chunk_index
                AND m.sample_index = c.sample_index AND m.attempt = c.attempt
            WHERE EXISTS (SELECT 1 FROM feedback_events e WHERE e.review_id = rc.review_id AND e.fingerprint = rc.fingerprint AND {where})
            ORDER BY rc.review_id
            """;
        return (eventsSql, commentsSql, parameters);
    }

    private static ExportComment ReadExportComment(ScanReader reader, double? precision) => new()
    {
        ReviewId = reader.GetInt64(0),
        Fingerprint = reader.GetString(1),
        ReviewHeadSha = reader.GetStringOrNull(2),
        Precision = precision,
        Path = reader.GetString(4),
        Line = reader.GetInt32(5),
        StartLine = reader.GetInt32OrNull(6),
        Side = reader.GetString(7),
        Placement = reader.GetString(8),
        CandidateIndex = reader.GetInt32OrNull(9),
        ChunkIndex = reader.GetInt32OrNull(10),
        SampleIndex = reader.GetInt32OrNull(11),
        ModelPath = reader.GetStringOrNull(12),
        ModelLine = reader.GetInt32OrNull(13),
        ModelEndLine = reader.GetInt32OrNull(14),
        Quote = reader.GetStringOrNull(15),
        Severity = reader.GetStringOrNull(16),
        CandidateBody = reader.GetStringOrNull(17),
        GroupId = reader.GetInt32OrNull(18),
        Support = reader.GetInt32OrNull(19),
        Score = reader.GetDoubleOrNull(20),
        PromptSha256 = reader.GetStringOrNull(21),
        Model = reader.GetStringOrNull(22),
        Temperature = reader.GetDoubleOrNull(23),
    };

    /// <summary>
    /// A chunk's first parsed sample, read on a connection of its own opened at the first missed bug, through one
    /// command kept prepared (a fresh command per missed bug was a sixth of the export's reading time), remembering
    /// the last chunk asked for (reports of one chunk come together).
    /// </summary>
    private sealed class ChunkCritiqueReader(SqlDatabase db) : IAsyncDisposable
    {
        private DbConnection? _connection;
        private DbCommand? _command;
        private (long Review, int Chunk, ChunkCritique? Critique)? _last;

        public async Task<ChunkCritique?> ReadAsync(long reviewId, int chunkIndex, CancellationToken ct)
        {
            if (_last is { } last && last.Review == reviewId && last.Chunk == chunkIndex)
            {
                return last.Critique;
            }

            if (_command is null)
            {
                _connection = await db.OpenReadAsync(ct);
                _command = Command(_connection, """
                    SELECT m.prompt_sha256, m.model, m.temperature, m.sample_index, m.completion, r.head_sha, r.summary_json
                    FROM model_calls m JOIN reviews r ON r.id = m.review_id
                    WHERE m.review_id = @review AND m.chunk_index = @chunk AND m.outcome = 'parsed'
                    ORDER BY m.sample_index, m.attempt
                    LIMIT 1
                    """);
            }

            Bind(_command, ("@review", reviewId), ("@chunk", chunkIndex));
            ChunkCritique? critique = null;
            await using (var reader = await _command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    critique = new ChunkCritique
                    {
                        PromptSha256 = reader.GetString(0),
                        Model = NullableString(reader, 1),
                        Temperature = NullableDouble(reader, 2),
                        SampleIndex = Int32(reader, 3),
                        Completion = NullableString(reader, 4),
                        ReviewHeadSha = reader.GetString(5),
                        Precision = PrecisionOf(NullableString(reader, 6)),
                    };
                }
            }

            _last = (reviewId, chunkIndex, critique);
            return critique;
        }

        public async ValueTask DisposeAsync()
        {
            if (_command is not null)
            {
                await _command.DisposeAsync();
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }

    private static (string Where, (string Name, object? Value)[] Parameters) ExportWhere(ExportFilter filter)
    {
        var parameters = new List<(string, object?)>
        {
            ("@since", filter.Since?.ToUnixTimeMilliseconds() ?? long.MinValue),
            ("@until", filter.Until?.ToUnixTimeMilliseconds() ?? long.MaxValue),
        };
        var where = "e.occurred_at >= @since AND e.occurred_at < @until";
        if (filter.Repositories.Count > 0)
        {
            var names = new List<string>();
            foreach (var repository in filter.Repositories.Select(r => r.ToLowerInvariant()).Distinct(StringComparer.Ordinal))
            {
                var name = "@repo" + names.Count.ToString(CultureInfo.InvariantCulture);
                names.Add(name);
                parameters.Add((name, repository));
            }

            where += $" AND LOWER(e.repository) IN ({string.Join(", ", names)})";
        }

        return (where, [.. parameters]);
    }

    private static double? PrecisionOf(string? summaryJson)
    {
        if (summaryJson is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(summaryJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("precision", out var p) && p.ValueKind == JsonValueKind.Number
                ? p.GetDouble()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
