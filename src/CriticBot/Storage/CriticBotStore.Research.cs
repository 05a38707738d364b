using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>The research log: prompts, candidates, posted comments.</summary>
public sealed partial class CriticBotStore
{
    public Task SaveCandidatesAsync(long reviewId, IReadOnlyList<CandidateRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return _db.WriteAsync(async connection =>
        {
            await using var command = Command(connection, """
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
                await command.ExecuteNonQueryAsync();
            }

            return rows.Count;
        }, ct);
    }

    /// <summary>A review's candidates in the order saved (research export and tests).</summary>
    public async Task<IReadOnlyList<CandidateRow>> GetCandidatesAsync(long reviewId, CancellationToken ct) => await ReadAllAsync("""
        SELECT chunk_index, sample_index, prompt_sha256, path, side, line, start_line, quote, severity, body,
            score, support, decision, reason, posted
        FROM candidates WHERE review_id = @review_id ORDER BY id
        """, reader => new CandidateRow
        {
            ChunkIndex = Int32(reader, 0),
            SampleIndex = Int32(reader, 1),
            PromptSha256 = reader.GetString(2),
            Path = NullableString(reader, 3),
            Side = NullableString(reader, 4),
            Line = NullableInt32(reader, 5),
            StartLine = NullableInt32(reader, 6),
            Quote = reader.GetString(7),
            Severity = NullableString(reader, 8),
            Body = reader.GetString(9),
            Score = NullableDouble(reader, 10),
            Support = NullableInt32(reader, 11),
            Decision = reader.GetString(12),
            Reason = NullableString(reader, 13),
            Posted = Int64(reader, 14) != 0,
        }, ct, ("@review_id", reviewId));

    public Task SavePromptsAsync(long reviewId, IReadOnlyList<PromptRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var now = NowMs();
        return _db.WriteAsync(async connection =>
        {
            await using var prompt = Command(connection, """
                INSERT INTO prompts (sha256, system_prompt, user_prompt, created_at) VALUES (@sha256, @system, @user, @now)
                ON CONFLICT (sha256) DO NOTHING
                """);
            await using var link = Command(connection, """
                INSERT INTO review_prompts (review_id, sha256) VALUES (@review_id, @sha256)
                ON CONFLICT (review_id, sha256) DO NOTHING
                """);
            foreach (var row in rows)
            {
                Bind(prompt, ("@sha256", row.Sha256), ("@system", row.System), ("@user", row.User), ("@now", now));
                await prompt.ExecuteNonQueryAsync();
                Bind(link, ("@review_id", reviewId), ("@sha256", row.Sha256));
                await link.ExecuteNonQueryAsync();
            }

            return rows.Count;
        }, ct);
    }

    /// <summary>A prompt by its sha256 (research export and tests).</summary>
    public Task<PromptRow?> GetPromptAsync(string sha256, CancellationToken ct) => ReadOneAsync(
        "SELECT system_prompt, user_prompt FROM prompts WHERE sha256 = @sha256",
        reader => new PromptRow(sha256, reader.GetString(0), reader.GetString(1)), ct, ("@sha256", sha256));

    public Task SavePostedCommentsAsync(long reviewId, IReadOnlyList<PostedCommentRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return _db.WriteAsync(async connection =>
        {
            await InsertCommentsAsync(connection, reviewId, rows, ct);
            return rows.Count;
        }, ct);
    }

    public async Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct)
    {
        var rows = await ReadAllAsync("""
            SELECT DISTINCT c.fingerprint FROM review_comments c
            JOIN reviews r ON r.id = c.review_id
            WHERE r.repository = @repository AND r.pr_number = @pr
            """, reader => reader.GetString(0), ct, ("@repository", repository), ("@pr", pullRequest));
        return rows.ToHashSet(StringComparer.Ordinal);
    }
}
