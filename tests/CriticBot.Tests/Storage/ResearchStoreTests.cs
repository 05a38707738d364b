using System.Text;
using CriticBot.Engine.Critic;
using CriticBot.Storage;
using CriticBot.Testing.Time;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CriticBot.Tests.Storage;

/// <summary>The research log and retention: one contract, run on a SQLite file and on a real PostgreSQL server.</summary>
public abstract class ResearchStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private CriticBotStore _store = null!;

    /// <summary>A fresh, empty database; returns its CRITICBOT_DATABASE setting.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    protected virtual void DeleteDatabases()
    {
    }

    public async Task InitializeAsync()
    {
        _store = CriticBotStore.Open(await CreateDatabaseAsync());
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        DeleteDatabases();
    }

    private async Task<long> ClaimAsync(string repository, string head, DateTimeOffset now)
    {
        var claim = await _store.ClaimReviewAsync(new ReviewKey(repository, 1, head), "base", "w1", TimeSpan.FromMinutes(5), now, default);
        return Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
    }

    private static ModelCallRecord Call(string prompt, int sample, int attempt = 0, DateTimeOffset? at = null) => new()
    {
        ChunkIndex = 0,
        SampleIndex = sample,
        Attempt = attempt,
        PromptSha256 = prompt,
        Model = "gpt-test",
        Temperature = 0.8f,
        MaxOutputTokens = 2048,
        PromptTokens = 1000,
        CachedPromptTokens = 512,
        CompletionTokens = 90,
        StartedAt = at ?? T0,
        Latency = TimeSpan.FromMilliseconds(1234),
        FinishReason = "stop",
        Completion = """{"comments":[]}""",
        Outcome = ModelCallOutcome.Parsed,
    };

    private static ResearchCandidateRow Candidate(string prompt, int index, int sample, CandidateReason reason, int? group = 0, string? fingerprint = null) => new()
    {
        CandidateIndex = index,
        ChunkIndex = 0,
        SampleIndex = sample,
        Attempt = 0,
        Position = 0,
        PromptSha256 = prompt,
        ModelPath = "src/a.cs",
        ModelLine = 3,
        Path = group is null ? null : "src/a.cs",
        Side = group is null ? null : "RIGHT",
        StartLine = group is null ? null : 3,
        Line = group is null ? null : 3,
        Quote = "int x = y / z;",
        Severity = "bug",
        Body = "z may be 0",
        GroupId = group,
        Support = group is null ? null : 2,
        Score = group is null ? null : 0.767,
        ReasonCode = reason,
        Reason = reason.WireName(),
        Posted = reason == CandidateReason.Kept,
        Fingerprint = fingerprint,
    };

    private static ReviewOutcome Outcome(long reviewId, string prompt, DateTimeOffset at, long? commentId = 4242) => new()
    {
        ReviewId = reviewId,
        Status = ReviewStatus.Posted,
        GitHubReviewId = 99,
        SummaryJson = "{}",
        FinishedAt = at,
        Prompts = [new PromptRow(prompt, "system " + prompt, "user " + prompt)],
        ModelCalls = [Call(prompt, 0, at: at), Call(prompt, 1, at: at)],
        Candidates = [Candidate(prompt, 0, 0, CandidateReason.Kept, fingerprint: "fp1"), Candidate(prompt, 1, 1, CandidateReason.Duplicate), Candidate(prompt, 2, 1, CandidateReason.QuoteNotFound, group: null)],
        Comments =
        [
            new PostedCommentRow { GitHubCommentId = commentId, Path = "src/a.cs", Line = 3, Side = "RIGHT", Quote = "int x = y / z;", Body = "**Bug** · z may be 0", Fingerprint = "fp1", GroupId = 0 },
            new PostedCommentRow { GitHubCommentId = null, Placement = CommentPlacement.ReviewBody, Path = "src/b.cs", Line = 9, Side = "LEFT", Quote = "q", Body = "moved", Fingerprint = "fp2" },
        ],
    };

    private T Scalar<T>(string sql)
    {
        using var connection = _store.Database.OpenReadAsync(CancellationToken.None).GetAwaiter().GetResult();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task An_outcome_round_trips_with_every_field_and_the_clocks_times()
    {
        var id = await ClaimAsync("o/r", "h1", T0);
        var outcome = Outcome(id, "p1", T0.AddMinutes(3));

        await _store.RecordReviewOutcomeAsync(outcome, default);

        Assert.Equal(outcome.ModelCalls, await _store.GetModelCallsAsync(id, default));
        Assert.Equal(outcome.Candidates, await _store.GetResearchCandidatesAsync(id, default));
        Assert.Equal(outcome.Comments.OrderBy(c => c.Path), await _store.GetPostedCommentsAsync(id, default));
        Assert.Equal(new PromptRow("p1", "system p1", "user p1"), await _store.GetPromptAsync("p1", default));
        var review = await _store.GetReviewAsync(new ReviewKey("o/r", 1, "h1"), default);
        Assert.Equal((ReviewStatus.Posted, 99L), (review!.Status, review.GitHubReviewId));
        Assert.Equal(T0.AddMinutes(3).ToUnixTimeMilliseconds(), Scalar<long>($"SELECT finished_at FROM reviews WHERE id = {id}"));
        Assert.Equal(T0.AddMinutes(3).ToUnixTimeMilliseconds(), Scalar<long>($"SELECT created_at FROM prompts WHERE sha256 = 'p1'"));
        Assert.Equal(["fp1", "fp2"], (await _store.GetPostedFingerprintsAsync("o/r", 1, default)).Order());
    }

    [Fact]
    public async Task Writing_the_same_outcome_again_duplicates_nothing()
    {
        var id = await ClaimAsync("o/r", "h1", T0);

        await _store.RecordReviewOutcomeAsync(Outcome(id, "p1", T0), default);
        await _store.RecordReviewOutcomeAsync(Outcome(id, "p1", T0), default);

        Assert.Equal(2, (await _store.GetModelCallsAsync(id, default)).Count);
        Assert.Equal(3, (await _store.GetResearchCandidatesAsync(id, default)).Count);
        Assert.Equal(2, (await _store.GetPostedCommentsAsync(id, default)).Count);
        Assert.Equal(1, Scalar<long>("SELECT COUNT(*) FROM prompts"));
    }

    [Fact]
    public async Task An_outcome_is_one_transaction_a_bad_row_leaves_the_review_in_progress_and_nothing_written()
    {
        var id = await ClaimAsync("o/r", "h1", T0);

        // A comment id of 0 is what the old code stored for a comment moved into the body: refused, and all of it rolled back.
        await Assert.ThrowsAsync<ArgumentException>(() => _store.RecordReviewOutcomeAsync(Outcome(id, "p1", T0, commentId: 0), default));

        Assert.Equal(ReviewStatus.InProgress, (await _store.GetReviewAsync(new ReviewKey("o/r", 1, "h1"), default))!.Status);
        Assert.Empty(await _store.GetModelCallsAsync(id, default));
        Assert.Empty(await _store.GetResearchCandidatesAsync(id, default));
        Assert.Null(await _store.GetPromptAsync("p1", default));
    }

    [Fact]
    public async Task A_candidate_must_point_at_a_recorded_call()
    {
        var id = await ClaimAsync("o/r", "h1", T0);
        var orphan = Outcome(id, "p1", T0) with { ModelCalls = [Call("p1", 0)] };

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => _store.RecordReviewOutcomeAsync(orphan, default));
        Assert.Empty(await _store.GetResearchCandidatesAsync(id, default));
    }

    [Fact]
    public async Task Pruning_empties_old_delivery_bodies_and_keeps_prompts_that_research_records_reference()
    {
        var oldIgnored = Delivery("old-ignored", T0, ignored: true);
        await _store.TryAddDeliveryAsync(oldIgnored, default);
        await _store.TryAddDeliveryAsync(Delivery("new-ignored", T0.AddDays(29), ignored: true), default);
        await _store.TryAddDeliveryAsync(Delivery("old-pending", T0), default);
        var first = await ClaimAsync("o/r", "h1", T0);
        await _store.RecordReviewOutcomeAsync(Outcome(first, "p-old", T0), default);
        var second = await ClaimAsync("o/r", "h2", T0.AddDays(200));
        await _store.RecordReviewOutcomeAsync(Outcome(second, "p-recent", T0.AddDays(200)), default);
        var clock = new ManualClock(T0.AddDays(31));
        var pruner = new RetentionPruner(_store, Options.Create(new RetentionOptions { RetentionDays = 30, ResearchRetentionDays = 365 }), clock, NullLogger<RetentionPruner>.Instance);

        var counts = await pruner.PruneOnceAsync(default);

        Assert.Equal(new PruneCounts { DeliveryBodies = 1, Reviews = 0, Prompts = 0 }, counts);
        Assert.Equal("pruned", Scalar<string>("SELECT body_encoding FROM deliveries WHERE delivery_id = 'old-ignored'"));
        Assert.Equal(0L, Scalar<long>("SELECT LENGTH(body) FROM deliveries WHERE delivery_id = 'old-ignored'"));
        Assert.Equal("gzip", Scalar<string>("SELECT body_encoding FROM deliveries WHERE delivery_id = 'new-ignored'"));
        Assert.Equal("gzip", Scalar<string>("SELECT body_encoding FROM deliveries WHERE delivery_id = 'old-pending'"));
        // Older than 30 days, but research records still use it.
        Assert.NotNull(await _store.GetPromptAsync("p-old", default));

        // A year on, the first review's research records go, and its prompt with them; the second's stay.
        clock.Advance(TimeSpan.FromDays(365));
        counts = await pruner.PruneOnceAsync(default);

        Assert.Equal((1, 1), (counts.Reviews, counts.Prompts));
        Assert.Null(await _store.GetPromptAsync("p-old", default));
        Assert.Empty(await _store.GetModelCallsAsync(first, default));
        Assert.Empty(await _store.GetResearchCandidatesAsync(first, default));
        Assert.Empty(await _store.GetPostedCommentsAsync(first, default));
        Assert.NotNull(await _store.GetPromptAsync("p-recent", default));
        Assert.Equal(2, (await _store.GetModelCallsAsync(second, default)).Count);
        Assert.NotNull(await _store.GetReviewAsync(new ReviewKey("o/r", 1, "h1"), default));
        Assert.NotNull(await _store.GetDeliveryAsync("old-ignored", default));
    }

    [Fact]
    public async Task Research_retention_of_zero_keeps_research_records_and_their_prompts()
    {
        var id = await ClaimAsync("o/r", "h1", T0);
        await _store.RecordReviewOutcomeAsync(Outcome(id, "p1", T0), default);
        var pruner = new RetentionPruner(_store, Options.Create(new RetentionOptions { RetentionDays = 1, ResearchRetentionDays = 0 }),
            new ManualClock(T0.AddDays(5000)), NullLogger<RetentionPruner>.Instance);

        Assert.Equal(new PruneCounts(), await pruner.PruneOnceAsync(default));
        Assert.NotNull(await _store.GetPromptAsync("p1", default));
        Assert.Equal(3, (await _store.GetResearchCandidatesAsync(id, default)).Count);
    }

    [Fact]
    public async Task A_done_delivery_body_is_pruned_once_it_is_older_than_the_retention()
    {
        await _store.TryAddDeliveryAsync(Delivery("done", DateTimeOffset.UtcNow), default);
        var claimed = await _store.ClaimNextDeliveryAsync("w1", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow, default);
        await _store.CompleteDeliveryAsync(claimed!.Id, "ok", default);

        Assert.Equal(0, (await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(-30), null, default)).DeliveryBodies);
        Assert.Equal(1, (await _store.PruneAsync(DateTimeOffset.UtcNow.AddDays(1), null, default)).DeliveryBodies);
        Assert.Equal(DeliveryStatus.Done, (await _store.GetDeliveryAsync("done", default))!.Status);
    }

    [Fact]
    public async Task Migration_2_moves_version_1_comments_keeping_real_ids_and_marking_id_0_as_moved_into_the_body()
    {
        await using var old = CriticBotStore.Open(await CreateDatabaseAsync());
        var reviewId = await old.Database.WriteAsync(async connection =>
        {
            await SqlDatabase.ExecuteAsync(connection, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            await SqlDatabase.ExecuteAsync(connection, old.Database.Render(Migrations.All[0].Sql));
            await SqlDatabase.ExecuteAsync(connection, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'v1', 0)");
            await SqlDatabase.ExecuteAsync(connection, """
                INSERT INTO reviews (repository, pr_number, head_sha, base_sha, status, attempts, created_at)
                VALUES ('o/r', 1, 'h', 'b', 'posted', 1, 0)
                """);
            await using var select = SqlDatabase.Command(connection, "SELECT id FROM reviews");
            var id = Convert.ToInt64(await select.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            // Version 1 stored 0 for a comment moved into the review body, and could hold a fingerprint twice.
            foreach (var (commentId, fingerprint) in new[] { (555L, "fp1"), (0L, "fp2"), (0L, "fp1") })
            {
                await SqlDatabase.ExecuteAsync(connection, """
                    INSERT INTO posted_comments (review_id, github_comment_id, path, line, side, quote, body, fingerprint)
                    VALUES (@review, @comment, 'a.cs', 3, 'RIGHT', 'q', 'b', @fingerprint)
                    """, ("@review", id), ("@comment", commentId), ("@fingerprint", fingerprint));
            }

            return id;
        }, default);

        Assert.Equal(CriticBotStore.LatestSchemaVersion - 1, await old.MigrateAsync(default));

        var comments = await old.GetPostedCommentsAsync(reviewId, default);
        Assert.Equal([("fp1", (long?)555, CommentPlacement.Inline), ("fp2", null, CommentPlacement.ReviewBody)],
            comments.Select(c => (c.Fingerprint, c.GitHubCommentId, c.Placement)).OrderBy(c => c.Fingerprint));
        Assert.Equal(["fp1", "fp2"], (await old.GetPostedFingerprintsAsync("o/r", 1, default)).Order());
    }

    private static NewDelivery Delivery(string id, DateTimeOffset receivedAt, bool ignored = false, string repository = "o/r") => new()
    {
        DeliveryId = id,
        Event = "pull_request",
        Action = "opened",
        InstallationId = 9,
        RepositoryFullName = repository,
        PullRequest = 1,
        Body = Encoding.UTF8.GetBytes("""{"action":"opened","diff":"private code"}"""),
        ReceivedAt = receivedAt,
        Ignored = ignored,
    };
}

public sealed class SqliteResearchStoreTests : ResearchStoreTests
{
    private readonly List<TestDatabase> _databases = [];

    protected override Task<string> CreateDatabaseAsync()
    {
        var database = new TestDatabase();
        _databases.Add(database);
        return Task.FromResult(database.Path);
    }

    protected override void DeleteDatabases()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }
    }
}

public sealed class PostgresResearchStoreTests : ResearchStoreTests
{
    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}
