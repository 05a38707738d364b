using System.Globalization;
using CriticBot.Engine.Critic;
using Microsoft.Data.Sqlite;

namespace CriticBot.Storage;

// The research log and retention, in portable SQL (no SQLite-only syntax): see docs/research-records.md.
public sealed partial class SqliteCriticBotStore
{
    private const string PrunedEncoding = "pruned";

    public Task RecordReviewOutcomeAsync(ReviewOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!ReviewStatus.IsFinished(outcome.Status))
        {
            throw new ArgumentException($"'{outcome.Status}' is not a finished review status.", nameof(outcome));
        }

        var finishedAt = outcome.FinishedAt.ToUnixTimeMilliseconds();
        // One WriteAsync is one transaction (a savepoint of the writer's group commit): all of it or none.
        return _writer.WriteAsync(connection =>
        {
            using (var review = Command(connection, """
                UPDATE reviews SET status = @status, reason = @reason,
                    github_review_id = COALESCE(@github_id, github_review_id), summary_json = COALESCE(@summary, summary_json),
                    claimed_by = NULL, lease_until = NULL, finished_at = @now
                WHERE id = @id
                """, ("@id", outcome.ReviewId), ("@status", outcome.Status), ("@reason", outcome.Reason),
                ("@github_id", outcome.GitHubReviewId), ("@summary", outcome.SummaryJson), ("@now", finishedAt)))
            {
                EnsureFound(review.ExecuteNonQuery(), outcome.ReviewId);
            }

            using (var prompt = Command(connection, """
                INSERT INTO prompts (sha256, system_prompt, user_prompt, created_at) VALUES (@sha256, @system, @user, @now)
                ON CONFLICT (sha256) DO NOTHING
                """))
            using (var link = Command(connection, """
                INSERT INTO review_prompts (review_id, sha256) VALUES (@review_id, @sha256)
                ON CONFLICT (review_id, sha256) DO NOTHING
                """))
            {
                foreach (var row in outcome.Prompts)
                {
                    Bind(prompt, ("@sha256", row.Sha256), ("@system", row.System), ("@user", row.User), ("@now", finishedAt));
                    prompt.ExecuteNonQuery();
                    Bind(link, ("@review_id", outcome.ReviewId), ("@sha256", row.Sha256));
                    link.ExecuteNonQuery();
                }
            }

            using (var call = Command(connection, """
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
                        ("@completion", row.Completion), ("@outcome", WireName(row.Outcome)), ("@error", row.Error));
                    call.ExecuteNonQuery();
                }
            }

            using (var candidate = Command(connection, """
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
                        ("@posted", row.Posted), ("@fingerprint", row.Fingerprint));
                    candidate.ExecuteNonQuery();
                }
            }

            InsertComments(connection, outcome.ReviewId, outcome.Comments);
            return 0;
        }, ct);
    }

    public async Task<IReadOnlyList<ModelCallRecord>> GetModelCallsAsync(long reviewId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT chunk_index, sample_index, attempt, prompt_sha256, model, temperature, max_output_tokens, prompt_tokens,
                cached_prompt_tokens, completion_tokens, started_at, latency_ms, finish_reason, completion, outcome, error
            FROM model_calls WHERE review_id = @review_id ORDER BY chunk_index, sample_index, attempt
            """, ("@review_id", reviewId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ModelCallRecord>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new ModelCallRecord
            {
                ChunkIndex = reader.GetInt32(0),
                SampleIndex = reader.GetInt32(1),
                Attempt = reader.GetInt32(2),
                PromptSha256 = reader.GetString(3),
                Model = NullableString(reader, 4),
                Temperature = (float)reader.GetDouble(5),
                MaxOutputTokens = reader.GetInt32(6),
                PromptTokens = reader.GetInt32(7),
                CachedPromptTokens = reader.GetInt32(8),
                CompletionTokens = reader.GetInt32(9),
                StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
                Latency = TimeSpan.FromMilliseconds(reader.GetInt64(11)),
                FinishReason = NullableString(reader, 12),
                Completion = NullableString(reader, 13),
                Outcome = OutcomeOf(reader.GetString(14)),
                Error = NullableString(reader, 15),
            });
        }

        return rows;
    }

    public async Task<IReadOnlyList<ResearchCandidateRow>> GetResearchCandidatesAsync(long reviewId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT candidate_index, chunk_index, sample_index, attempt, position, prompt_sha256, model_path, model_line,
                model_end_line, path, side, start_line, line, quote, severity, body, group_id, support, score, reason_code,
                reason, posted, fingerprint
            FROM candidates_v2 WHERE review_id = @review_id ORDER BY candidate_index
            """, ("@review_id", reviewId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<ResearchCandidateRow>();
        while (await reader.ReadAsync(ct))
        {
            var code = reader.GetString(19);
            rows.Add(new ResearchCandidateRow
            {
                CandidateIndex = reader.GetInt32(0),
                ChunkIndex = reader.GetInt32(1),
                SampleIndex = reader.GetInt32(2),
                Attempt = reader.GetInt32(3),
                Position = reader.GetInt32(4),
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
                Score = reader.IsDBNull(18) ? null : reader.GetDouble(18),
                ReasonCode = CandidateReasons.FromWireName(code) ?? throw new InvalidDataException($"Unknown candidate reason code '{code}'."),
                Reason = reader.GetString(20),
                Posted = reader.GetBoolean(21),
                Fingerprint = NullableString(reader, 22),
            });
        }

        return rows;
    }

    public async Task<IReadOnlyList<PostedCommentRow>> GetPostedCommentsAsync(long reviewId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT github_comment_id, path, line, side, start_line, quote, body, fingerprint, group_id, placement
            FROM review_comments WHERE review_id = @review_id ORDER BY path, line, fingerprint
            """, ("@review_id", reviewId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<PostedCommentRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new PostedCommentRow
            {
                GitHubCommentId = NullableInt64(reader, 0),
                Path = reader.GetString(1),
                Line = reader.GetInt32(2),
                Side = reader.GetString(3),
                StartLine = NullableInt32(reader, 4),
                Quote = reader.GetString(5),
                Body = reader.GetString(6),
                Fingerprint = reader.GetString(7),
                GroupId = NullableInt32(reader, 8),
                Placement = reader.GetString(9) == "review_body" ? CommentPlacement.ReviewBody : CommentPlacement.Inline,
            });
        }

        return rows;
    }

    // Retention.

    public Task<PruneCounts> PruneAsync(DateTimeOffset operationalCutoff, DateTimeOffset? researchCutoff, CancellationToken ct)
    {
        var operational = operationalCutoff.ToUnixTimeMilliseconds();
        var research = researchCutoff?.ToUnixTimeMilliseconds();
        return _writer.WriteAsync(connection =>
        {
            int bodies;
            using (var prune = Command(connection, """
                UPDATE deliveries SET body = @empty, body_encoding = @pruned
                WHERE status IN ('done', 'ignored') AND body_encoding <> @pruned
                    AND COALESCE(finished_at, received_at) < @cutoff
                """, ("@empty", Array.Empty<byte>()), ("@pruned", PrunedEncoding), ("@cutoff", operational)))
            {
                bodies = prune.ExecuteNonQuery();
            }

            var reviews = 0;
            if (research is { } cutoff)
            {
                const string OldReviews = """
                    SELECT id FROM reviews WHERE status <> 'in_progress' AND COALESCE(finished_at, created_at) < @cutoff
                    """;
                using (var count = Command(connection, $"""
                    SELECT COUNT(*) FROM reviews r WHERE r.id IN ({OldReviews}) AND (
                        EXISTS (SELECT 1 FROM model_calls m WHERE m.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM candidates_v2 c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM candidates c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM review_comments c WHERE c.review_id = r.id)
                        OR EXISTS (SELECT 1 FROM review_prompts p WHERE p.review_id = r.id))
                    """, ("@cutoff", cutoff)))
                {
                    reviews = Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture);
                }

                DeleteResearchRecords(connection, OldReviews, ("@cutoff", cutoff));
            }

            int prompts;
            using (var orphans = Command(connection, $"DELETE FROM prompts WHERE created_at < @cutoff AND {Unreferenced}", ("@cutoff", operational)))
            {
                prompts = orphans.ExecuteNonQuery();
            }

            return new PruneCounts { DeliveryBodies = bodies, Reviews = reviews, Prompts = prompts };
        }, ct);
    }

    public Task<ForgetCounts> ForgetRepositoryAsync(string repository, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repository);
        var name = ("@repository", (object?)repository.ToLowerInvariant());
        return _writer.WriteAsync(connection =>
        {
            const string OfRepository = "SELECT id FROM reviews WHERE LOWER(repository) = @repository";
            var research = DeleteResearchRecords(connection, OfRepository, name);
            int Delete(string sql)
            {
                using var command = Command(connection, sql, name);
                return command.ExecuteNonQuery();
            }

            var reviews = Delete("DELETE FROM reviews WHERE LOWER(repository) = @repository");
            var deliveries = Delete("DELETE FROM deliveries WHERE LOWER(repository) = @repository");
            using var orphans = Command(connection, $"DELETE FROM prompts WHERE {Unreferenced}");
            var prompts = orphans.ExecuteNonQuery();
            return research with { Deliveries = deliveries, Reviews = reviews, Prompts = prompts };
        }, ct);
    }

    public async Task<IReadOnlyList<string>> GetRepositoriesOfInstallationAsync(long installationId, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, """
            SELECT DISTINCT repository FROM deliveries WHERE installation_id = @id AND repository IS NOT NULL ORDER BY repository
            """, ("@id", installationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>A prompt no research record or review links to any more.</summary>
    private const string Unreferenced = """
        NOT EXISTS (SELECT 1 FROM model_calls m WHERE m.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM candidates_v2 c WHERE c.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.prompt_sha256 = prompts.sha256)
        AND NOT EXISTS (SELECT 1 FROM review_prompts p WHERE p.sha256 = prompts.sha256)
        """;

    /// <summary>Deletes the research records of the reviews <paramref name="reviewIds"/> selects (children before parents).</summary>
    private static ForgetCounts DeleteResearchRecords(SqliteConnection connection, string reviewIds, (string Name, object? Value) parameter)
    {
        int Delete(string table)
        {
            using var command = Command(connection, $"DELETE FROM {table} WHERE review_id IN ({reviewIds})", parameter);
            return command.ExecuteNonQuery();
        }

        var candidates = Delete("candidates_v2") + Delete("candidates");
        var calls = Delete("model_calls");
        var comments = Delete("review_comments");
        Delete("review_prompts");
        return new ForgetCounts { Candidates = candidates, ModelCalls = calls, Comments = comments };
    }

    private static void InsertComments(SqliteConnection connection, long reviewId, IReadOnlyList<PostedCommentRow> rows)
    {
        using var command = Command(connection, """
            INSERT INTO review_comments (review_id, fingerprint, github_comment_id, placement, path, line, side, start_line, quote, body, group_id)
            VALUES (@review_id, @fingerprint, @github_comment_id, @placement, @path, @line, @side, @start_line, @quote, @body, @group_id)
            ON CONFLICT (review_id, fingerprint) DO NOTHING
            """);
        foreach (var row in rows)
        {
            if (row.GitHubCommentId is <= 0 || (row.Placement == CommentPlacement.ReviewBody && row.GitHubCommentId is not null))
            {
                throw new ArgumentException($"GitHub comment ids are positive, and a comment moved into the review body has none (null), not {row.GitHubCommentId}.", nameof(rows));
            }

            Bind(command, ("@review_id", reviewId), ("@fingerprint", row.Fingerprint), ("@github_comment_id", row.GitHubCommentId),
                ("@placement", row.Placement == CommentPlacement.ReviewBody ? "review_body" : "inline"),
                ("@path", row.Path), ("@line", row.Line), ("@side", row.Side), ("@start_line", row.StartLine),
                ("@quote", row.Quote), ("@body", row.Body), ("@group_id", row.GroupId));
            command.ExecuteNonQuery();
        }
    }

    private static string WireName(ModelCallOutcome outcome) => outcome switch
    {
        ModelCallOutcome.Parsed => "parsed",
        ModelCallOutcome.Unparseable => "unparseable",
        _ => "failed",
    };

    private static ModelCallOutcome OutcomeOf(string name) => name switch
    {
        "parsed" => ModelCallOutcome.Parsed,
        "unparseable" => ModelCallOutcome.Unparseable,
        "failed" => ModelCallOutcome.Failed,
        _ => throw new InvalidDataException($"Unknown model call outcome '{name}'."),
    };
}
