using System.Data.Common;
using System.Globalization;
using CriticBot.Engine.Critic;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>
/// The research log v2 (model calls, candidates, review comments; migration 2) and retention, in portable SQL that
/// runs unchanged on SQLite and PostgreSQL. See docs/research-records.md and docs/security-parts/retention.md.
/// </summary>
public sealed partial class CriticBotStore : IDataRetention
{
    private const string PrunedEncoding = "pruned";

    public Task RecordReviewOutcomeAsync(ReviewOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!outcome.Status.IsFinished())
        {
            throw new ArgumentException($"'{outcome.Status.ToStored()}' is not a finished review status.", nameof(outcome));
        }

        var finishedAt = outcome.FinishedAt.ToUnixTimeMilliseconds();
        // One WriteAsync is one transaction: the status and every row, or nothing.
        return _db.WriteAsync(async connection =>
        {
            var changed = await ExecuteAsync(connection, """
                UPDATE reviews SET status = @status, reason = @reason,
                    github_review_id = COALESCE(@github_id, github_review_id), summary_json = COALESCE(@summary, summary_json),
                    claimed_by = NULL, lease_until = NULL, finished_at = @now
                WHERE id = @id
                """, ("@id", outcome.ReviewId), ("@status", outcome.Status.ToStored()), ("@reason", outcome.Reason),
                ("@github_id", outcome.GitHubReviewId), ("@summary", outcome.SummaryJson), ("@now", finishedAt));
            EnsureFound(changed, outcome.ReviewId);

            await using (var prompt = Command(connection, """
                INSERT INTO prompts (sha256, system_prompt, user_prompt, created_at) VALUES (@sha256, @system, @user, @now)
                ON CONFLICT (sha256) DO NOTHING
                """))
            await using (var link = Command(connection, """
                INSERT INTO review_prompts (review_id, sha256) VALUES (@review_id, @sha256)
                ON CONFLICT (review_id, sha256) DO NOTHING
                """))
            {
                foreach (var row in outcome.Prompts)
                {
                    Bind(prompt, ("@sha256", row.Sha256), ("@system", row.System), ("@user", row.User), ("@now", finishedAt));
                    await prompt.ExecuteNonQueryAsync(ct);
                    Bind(link, ("@review_id", outcome.ReviewId), ("@sha256", row.Sha256));
                    await link.ExecuteNonQueryAsync(ct);
                }
            }

            await using (var call = Command(connection, """
                INSERT INTO model_calls (review_id, chunk_index, sample_index, attempt, prompt_sha256, model, temperature,
                    max_output_tokens, prompt_tokens, cached_prompt_tokens, completion_tokens, started_at, latency_ms,
                    finish_reason, completion, outcome, error)
                VALUES (@review_id, @chunk_index, @sample_index, @attempt, @prompt_sha256, @model, @temperature,
                    @max_output_tokens, @prompt_tokens, @cached_prompt_tokens, @completion_tokens, @started_at, @latency_ms,
                    @finish_reason, @completion, @outcome, @error)
                ON CONFLICT (review_id, chunk_index, sample_index, attempt) DO NOTHING
                """))
            {
                foreach (var row in outcome.ModelCalls)
                {
                    Bind(call, ("@review_id", outcome.ReviewId), ("@chunk_index", row.ChunkIndex), ("@sample_index", row.SampleIndex),
                        ("@attempt", row.Attempt), ("@prompt_sha256", row.PromptSha256), ("@model", row.Model),
                        ("@temperature", (double)row.Temperature), ("@max_output_tokens", row.MaxOutputTokens),
                        ("@prompt_tokens", row.PromptTokens), ("@cached_prompt_tokens", row.CachedPromptTokens),
                        ("@completion_tokens", row.CompletionTokens), ("@started_at", row.StartedAt.ToUnixTimeMilliseconds()),
                        ("@latency_ms", (long)Math.Round(row.Latency.TotalMilliseconds)), ("@finish_reason", row.FinishReason),
                        ("@completion", row.Completion), ("@outcome", ToStored(row.Outcome)), ("@error", row.Error));
                    await call.ExecuteNonQueryAsync(ct);
                }
            }

            await using (var candidate = Command(connection, """
                INSERT INTO candidates_v2 (review_id, candidate_index, chunk_index, sample_index, attempt, position,
                    prompt_sha256, model_path, model_line, model_end_line, path, side, start_line, line, quote, severity, body,
                    group_id, support, score, reason_code, reason, posted, fingerprint)
                VALUES (@review_id, @candidate_index, @chunk_index, @sample_index, @attempt, @position,
                    @prompt_sha256, @model_path, @model_line, @model_end_line, @path, @side, @start_line, @line, @quote, @severity, @body,
                    @group_id, @support, @score, @reason_code, @reason, @posted, @fingerprint)
                ON CONFLICT (review_id, candidate_index) DO NOTHING
                """))
            {
                foreach (var row in outcome.Candidates)
                {
                    Bind(candidate, ("@review_id", outcome.ReviewId), ("@candidate_index", row.CandidateIndex),
                        ("@chunk_index", row.ChunkIndex), ("@sample_index", row.SampleIndex), ("@attempt", row.Attempt),
                        ("@position", row.Position), ("@prompt_sha256", row.PromptSha256), ("@model_path", row.ModelPath),
                        ("@model_line", row.ModelLine), ("@model_end_line", row.ModelEndLine), ("@path", row.Path),
                        ("@side", row.Side), ("@start_line", row.StartLine), ("@line", row.Line), ("@quote", row.Quote),
                        ("@severity", row.Severity), ("@body", row.Body), ("@group_id", row.GroupId), ("@support", row.Support),
                        ("@score", row.Score), ("@reason_code", row.ReasonCode.WireName()), ("@reason", row.Reason),
                        ("@posted", row.Posted ? 1 : 0), ("@fingerprint", row.Fingerprint));
                    await candidate.ExecuteNonQueryAsync(ct);
                }
            }

            await InsertCommentsAsync(connection, outcome.ReviewId, outcome.Comments, ct);
            return 0;
        }, ct);
    }

    /// <summary>A review's model calls by chunk, sample and attempt (research export and tests).</summary>
    public async Task<IReadOnlyList<ModelCallRecord>> GetModelCallsAsync(long reviewId, CancellationToken ct) => await ReadAllAsync("""
        SELECT chunk_index, sample_index, attempt, prompt_sha256, model, temperature, max_output_tokens, prompt_tokens,
            cached_prompt_tokens, completion_tokens, started_at, latency_ms, finish_reason, completion, outcome, error
        FROM model_calls WHERE review_id = @review_id ORDER BY chunk_index, sample_index, attempt
        """, reader => new ModelCallRecord
        {
            ChunkIndex = Int32(reader, 0),
            SampleIndex = Int32(reader, 1),
            Attempt = Int32(reader, 2),
            PromptSha256 = reader.GetString(3),
            Model = NullableString(reader, 4),
            Temperature = (float)NullableDouble(reader, 5)!.Value,
            MaxOutputTokens = Int32(reader, 6),
            PromptTokens = Int32(reader, 7),
            CachedPromptTokens = Int32(reader, 8),
            CompletionTokens = Int32(reader, 9),
            StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 10)),
            Latency = TimeSpan.FromMilliseconds(Int64(reader, 11)),
            FinishReason = NullableString(reader, 12),
            Completion = NullableString(reader, 13),
            Outcome = ParseOutcome(reader.GetString(14)),
            Error = NullableString(reader, 15),
        }, ct, ("@review_id", reviewId));

    /// <summary>A review's candidates by candidate index (research export and tests).</summary>
    public async Task<IReadOnlyList<ResearchCandidateRow>> GetResearchCandidatesAsync(long reviewId, CancellationToken ct) => await ReadAllAsync("""
        SELECT candidate_index, chunk_index, sample_index, attempt, position, prompt_sha256, model_path, model_line,
            model_end_line, path, side, start_line, line, quote, severity, body, group_id, support, score, reason_code,
            reason, posted, fingerprint
        FROM candidates_v2 WHERE review_id = @review_id ORDER BY candidate_index
        """, reader => new ResearchCandidateRow
        {
            CandidateIndex = Int32(reader, 0),
            ChunkIndex = Int32(reader, 1),
            SampleIndex = Int32(reader, 2),
            Attempt = Int32(reader, 3),
            Position = Int32(reader, 4),
            PromptSha256 = reader.GetString(5),
            ModelPath = reader.GetString(6),
            ModelLine = NullableInt32(reader, 7),
            ModelEndLine = NullableInt32(reader, 8),
            Path = NullableString(reader, 9),
            Side = NullableString(reader, 10),
            StartLine = NullableInt32(reader, 11),
            Line = NullableInt32(reader, 12),
            Quote = reader.GetString(13),
            Severity = reader.GetString(14),
            Body = reader.GetString(15),
            GroupId = NullableInt32(reader, 16),
            Support = NullableInt32(reader, 17),
            Score = NullableDouble(reader, 18),
            ReasonCode = CandidateReasons.FromWireName(reader.GetString(19))
                ?? throw new InvalidDataException($"Unknown candidate reason code '{reader.GetString(19)}'."),
            Reason = reader.GetString(20),
            Posted = Int64(reader, 21) != 0,
            Fingerprint = NullableString(reader, 22),
        }, ct, ("@review_id", reviewId));

    /// <summary>A review's posted comments (research export and tests).</summary>
    public async Task<IReadOnlyList<PostedCommentRow>> GetPostedCommentsAsync(long reviewId, CancellationToken ct) => await ReadAllAsync("""
        SELECT github_comment_id, path, line, side, start_line, quote, body, fingerprint, group_id, placement
        FROM review_comments WHERE review_id = @review_id ORDER BY path, line, fingerprint
        """, reader => new PostedCommentRow
        {
            GitHubCommentId = NullableInt64(reader, 0),
            Path = reader.GetString(1),
            Line = Int32(reader, 2),
            Side = reader.GetString(3),
            StartLine = NullableInt32(reader, 4),
            Quote = reader.GetString(5),
            Body = reader.GetString(6),
            Fingerprint = reader.GetString(7),
            GroupId = NullableInt32(reader, 8),
            Placement = reader.GetString(9) == "review_body" ? CommentPlacement.ReviewBody : CommentPlacement.Inline,
        }, ct, ("@review_id", reviewId));

    // Retention.

    public Task<PruneCounts> PruneAsync(DateTimeOffset operationalCutoff, DateTimeOffset? researchCutoff, CancellationToken ct)
    {
        var operational = operationalCutoff.ToUnixTimeMilliseconds();
        var research = researchCutoff?.ToUnixTimeMilliseconds();
        return _db.WriteAsync(async connection =>
        {
            var bodies = await ExecuteAsync(connection, """
                UPDATE deliveries SET body = @empty, body_encoding = @pruned
                WHERE status IN ('done', 'ignored') AND body_encoding <> @pruned
                    AND COALESCE(finished_at, received_at) < @cutoff
                """, ("@empty", Array.Empty<byte>()), ("@pruned", PrunedEncoding), ("@cutoff", operational));

            var reviews = 0;
            if (research is { } cutoff)
            {
                const string OldReviews = """
                    SELECT id FROM reviews WHERE status <> 'in_progress' AND COALESCE(finished_at, created_at) < @cutoff
                    """;
                await using (var count = Command(connection, $"""
                    SELECT COUNT(*) FROM reviews r WHERE r.id IN ({OldReviews}) AND (
                        EXISTS (SELECT 1 FROM model_calls m WHERE m.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM candidates_v2 c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM candidates c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM review_comments c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM review_prompts p WHERE p.review_id = r.id))
                    """, ("@cutoff", cutoff)))
                {
                    reviews = Convert.ToInt32(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
                }

                await DeleteResearchRecordsAsync(connection, OldReviews, ("@cutoff", cutoff), ct);
            }

            var prompts = await ExecuteAsync(connection, $"DELETE FROM prompts WHERE created_at < @cutoff AND {Unreferenced}", ("@cutoff", operational));
            return new PruneCounts { DeliveryBodies = bodies, Reviews = reviews, Prompts = prompts };
        }, ct);
    }

    public Task<ForgetCounts> ForgetRepositoryAsync(string repository, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        var name = ("@repository", (object?)repository.ToLowerInvariant());
        return _db.WriteAsync(async connection =>
        {
            const string OfRepository = "SELECT id FROM reviews WHERE LOWER(repository) = @repository";
            await DeleteFeedbackAsync(connection, name);
            var research = await DeleteResearchRecordsAsync(connection, OfRepository, name, ct);
            var reviews = await ExecuteAsync(connection, "DELETE FROM reviews WHERE LOWER(repository) = @repository", name);
            var deliveries = await ExecuteAsync(connection, "DELETE FROM deliveries WHERE LOWER(repository) = @repository", name);
            var prompts = await ExecuteAsync(connection, $"DELETE FROM prompts WHERE {Unreferenced}");
            return research with { Deliveries = deliveries, Reviews = reviews, Prompts = prompts };
        }, ct);
    }

    public async Task<IReadOnlyList<string>> GetRepositoriesOfInstallationAsync(long installationId, CancellationToken ct) => await ReadAllAsync("""
        SELECT DISTINCT repository FROM deliveries WHERE installation_id = @id AND repository IS NOT NULL ORDER BY repository
        """, reader => reader.GetString(0), ct, ("@id", installationId));

    /// <summary>A prompt that no research record or review links to any more.</summary>
    private const string Unreferenced = """
        NOT EXISTS (SELECT 1 FROM model_calls m WHERE m.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM candidates_v2 c WHERE c.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM review_prompts p WHERE p.sha256 = prompts.sha256)
        """;

    /// <summary>Deletes the research records of the reviews <paramref name="reviewIds"/> selects, children before parents.</summary>
    private static async Task<ForgetCounts> DeleteResearchRecordsAsync(
        DbConnection connection, string reviewIds, (string Name, object? Value) parameter, CancellationToken ct)
    {
        Task<int> Delete(string table) => ExecuteAsync(connection, $"DELETE FROM {table} WHERE review_id IN ({reviewIds})", parameter);

        ct.ThrowIfCancellationRequested();
        // Feedback on the reviews' comments goes with them (docs/feedback.md).
        await Delete("feedback_events");
        await ExecuteAsync(connection, $"""
            DELETE FROM feedback_comment_state WHERE github_comment_id IN (
                SELECT github_comment_id FROM review_comments WHERE review_id IN ({reviewIds}) AND github_comment_id IS NOT NULL)
            """, parameter);
        var candidates = await Delete("candidates_v2") + await Delete("candidates");
        var calls = await Delete("model_calls");
        var comments = await Delete("review_comments");
        await Delete("review_prompts");
        return new ForgetCounts { Candidates = candidates, ModelCalls = calls, Comments = comments };
    }

    private static async Task InsertCommentsAsync(DbConnection connection, long reviewId, IReadOnlyList<PostedCommentRow> rows, CancellationToken ct)
    {
        await using var command = Command(connection, """
            INSERT INTO review_comments (review_id, fingerprint, github_comment_id, placement, path, line, side, start_line, quote, body, group_id)
            VALUES (@review_id, @fingerprint, @github_comment_id, @placement, @path, @line, @side, @start_line, @quote, @body, @group_id)
            ON CONFLICT (review_id, fingerprint) DO NOTHING
            """);
        foreach (var row in rows)
        {
            if (row.GitHubCommentId is <= 0 || (row.Placement == CommentPlacement.ReviewBody && row.GitHubCommentId is not null))
            {
                throw new ArgumentException(
                    $"GitHub comment ids are positive, and a comment moved into the review body has none (null), not {row.GitHubCommentId}.", nameof(rows));
            }

            Bind(command, ("@review_id", reviewId), ("@fingerprint", row.Fingerprint), ("@github_comment_id", row.GitHubCommentId),
                ("@placement", row.Placement == CommentPlacement.ReviewBody ? "review_body" : "inline"),
                ("@path", row.Path), ("@line", row.Line), ("@side", row.Side), ("@start_line", row.StartLine),
                ("@quote", row.Quote), ("@body", row.Body), ("@group_id", row.GroupId));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static string ToStored(ModelCallOutcome outcome) => outcome switch
    {
        ModelCallOutcome.Parsed => "parsed",
        ModelCallOutcome.Unparseable => "unparseable",
        _ => "failed",
    };

    private static ModelCallOutcome ParseOutcome(string stored) => stored switch
    {
        "parsed" => ModelCallOutcome.Parsed,
        "unparseable" => ModelCallOutcome.Unparseable,
        "failed" => ModelCallOutcome.Failed,
        _ => throw new InvalidDataException($"Unknown stored model call outcome '{stored}'."),
    };
}
