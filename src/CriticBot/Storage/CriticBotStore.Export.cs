using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>What <c>criticbot export</c> reads (docs/export.md): the feedback log joined with the research records, streamed.</summary>
public sealed partial class CriticBotStore : IRepositorySharingLog
{
    public Task RecordSharingAsync(string repository, bool? isPrivate, bool shareFeedback, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return WriteAsync("""
            INSERT INTO repository_sharing (repository, private, share_feedback, updated_at)
            VALUES (@repository, @private, @share, @now)
            ON CONFLICT (repository) DO UPDATE SET private = COALESCE(excluded.private, repository_sharing.private),
                share_feedback = excluded.share_feedback, updated_at = excluded.updated_at
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
    /// Streams the selected events with their comment, candidate, call and review in one query (no query per row),
    /// in <paramref name="order"/>; memory stays flat however long the log is.
    /// </summary>
    public async IAsyncEnumerable<ExportEvent> ReadExportEventsAsync(ExportFilter filter, ExportOrder order, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (where, parameters) = ExportWhere(filter);
        // ByComment walks ix_feedback_events_comment (review_id, fingerprint, then the row id) without a sort.
        var orderBy = order == ExportOrder.ByComment ? "e.review_id, e.fingerprint, e.id" : "e.id";
        var sql = $"""
            SELECT e.id, e.repository, e.pr_number, e.kind, e.value, e.rating, e.content, e.text, e.rater_login, e.rater_permission,
                e.rater_is_author, e.occurred_at, e.review_id, e.fingerprint, e.github_reaction_id, e.head_sha, e.path, e.line,
                r.head_sha, r.summary_json,
                rc.path, rc.line, rc.start_line, rc.side, rc.placement,
                c.candidate_index, COALESCE(c.chunk_index, e.chunk_index), c.sample_index, c.model_path, c.model_line, c.model_end_line,
                c.quote, c.severity, c.body, c.group_id, c.support, c.score,
                COALESCE(c.prompt_sha256, mm.prompt_sha256), COALESCE(m.model, mm.model), COALESCE(m.temperature, mm.temperature),
                mm.completion
            FROM feedback_events e
            LEFT JOIN reviews r ON r.id = e.review_id
            LEFT JOIN review_comments rc ON rc.review_id = e.review_id AND rc.fingerprint = e.fingerprint
            LEFT JOIN candidates_v2 c ON c.review_id = e.review_id AND c.fingerprint = e.fingerprint AND c.posted = 1
            LEFT JOIN model_calls m ON m.review_id = c.review_id AND m.chunk_index = c.chunk_index
                AND m.sample_index = c.sample_index AND m.attempt = c.attempt
            LEFT JOIN model_calls mm ON e.kind = 'missed_bug' AND mm.review_id = e.review_id AND mm.chunk_index = e.chunk_index
                AND mm.outcome = 'parsed' AND mm.sample_index = (
                    SELECT MIN(x.sample_index) FROM model_calls x
                    WHERE x.review_id = e.review_id AND x.chunk_index = e.chunk_index AND x.outcome = 'parsed')
            WHERE {where}
            ORDER BY {orderBy}
            """;
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        // summary_json is read once per review (rows of one review follow each other in either order, mostly).
        long? lastReview = null;
        double? lastPrecision = null;
        while (await reader.ReadAsync(ct))
        {
            var reviewId = NullableInt64(reader, 12);
            if (reviewId != lastReview)
            {
                lastReview = reviewId;
                lastPrecision = PrecisionOf(NullableString(reader, 19));
            }

            yield return new ExportEvent
            {
                Id = Int64(reader, 0),
                Repository = reader.GetString(1),
                PullRequest = Int32(reader, 2),
                Kind = FeedbackStored.ParseKind(reader.GetString(3)),
                Value = FeedbackStored.ParseValue(NullableString(reader, 4)),
                Rating = NullableInt32(reader, 5),
                Content = NullableString(reader, 6),
                Text = NullableString(reader, 7),
                RaterLogin = NullableString(reader, 8),
                RaterPermission = NullableString(reader, 9),
                RaterIsAuthor = NullableInt32(reader, 10) is { } author ? author == 1 : null,
                OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 11)),
                ReviewId = reviewId,
                Fingerprint = NullableString(reader, 13),
                GitHubReactionId = NullableInt64(reader, 14),
                EventHeadSha = NullableString(reader, 15),
                EventPath = NullableString(reader, 16),
                EventLine = NullableInt32(reader, 17),
                ReviewHeadSha = NullableString(reader, 18),
                Precision = lastPrecision,
                CommentPath = NullableString(reader, 20),
                CommentLine = NullableInt32(reader, 21),
                CommentStartLine = NullableInt32(reader, 22),
                CommentSide = NullableString(reader, 23),
                Placement = NullableString(reader, 24),
                CandidateIndex = NullableInt32(reader, 25),
                ChunkIndex = NullableInt32(reader, 26),
                SampleIndex = NullableInt32(reader, 27),
                ModelPath = NullableString(reader, 28),
                ModelLine = NullableInt32(reader, 29),
                ModelEndLine = NullableInt32(reader, 30),
                Quote = NullableString(reader, 31),
                Severity = NullableString(reader, 32),
                CandidateBody = NullableString(reader, 33),
                GroupId = NullableInt32(reader, 34),
                Support = NullableInt32(reader, 35),
                Score = NullableDouble(reader, 36),
                PromptSha256 = NullableString(reader, 37),
                Model = NullableString(reader, 38),
                Temperature = NullableDouble(reader, 39),
                MissedChunkCompletion = NullableString(reader, 40),
            };
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
