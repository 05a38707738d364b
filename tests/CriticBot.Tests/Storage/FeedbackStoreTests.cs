using CriticBot.Engine.Critic;
using CriticBot.Feedback;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>The feedback log and the poll state: one contract, run on a SQLite file and on a real PostgreSQL server.</summary>
public abstract class FeedbackStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<CriticBotStore> _opened = [];
    private string _setting = null!;
    private CriticBotStore _store = null!;

    protected abstract Task<string> CreateDatabaseAsync();

    protected virtual void DeleteDatabases()
    {
    }

    public async Task InitializeAsync()
    {
        _setting = await CreateDatabaseAsync();
        _store = Open();
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        DeleteDatabases();
    }

    private CriticBotStore Open()
    {
        var store = CriticBotStore.Open(_setting);
        _opened.Add(store);
        return store;
    }

    /// <summary>A posted review of o/r#pr with one candidate and one comment (GitHub id <paramref name="commentId"/>).</summary>
    private async Task<long> PostedAsync(int pr, long commentId, string fingerprint = "fp1", string path = "src/a_b.cs", string quote = "int total = price * quantity;")
    {
        await _store.TryAddDeliveryAsync(new NewDelivery
        {
            DeliveryId = $"d{pr}-{commentId}", Event = "pull_request", Action = "opened", InstallationId = 9, RepositoryFullName = "o/r",
            PullRequest = pr, Body = "{}"u8.ToArray(), ReceivedAt = T0,
        }, default);
        var claim = await _store.ClaimReviewAsync(new ReviewKey("o/r", pr, $"head{pr}-{commentId}"), "base", "w1", TimeSpan.FromMinutes(5), T0, default);
        var reviewId = Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
        await _store.RecordReviewOutcomeAsync(new ReviewOutcome
        {
            ReviewId = reviewId,
            Status = ReviewStatus.Posted,
            GitHubReviewId = 99,
            SummaryJson = "{\"precision\":0.5}",
            FinishedAt = T0,
            Prompts = [new PromptRow("p1", "system", $"user: the diff of {path}")],
            ModelCalls =
            [
                new ModelCallRecord
                {
                    ChunkIndex = 0, SampleIndex = 1, Attempt = 0, PromptSha256 = "p1", Model = "m", Temperature = 0.8f, MaxOutputTokens = 100,
                    PromptTokens = 1, CachedPromptTokens = 0, CompletionTokens = 1, StartedAt = T0, Latency = TimeSpan.Zero, Completion = "{}",
                    Outcome = ModelCallOutcome.Parsed,
                },
            ],
            Candidates =
            [
                new ResearchCandidateRow
                {
                    CandidateIndex = 0, ChunkIndex = 0, SampleIndex = 1, Attempt = 0, Position = 0, PromptSha256 = "p1", ModelPath = path, ModelLine = 3,
                    Path = path, Side = "RIGHT", StartLine = 3, Line = 3, Quote = quote, Severity = "bug", Body = "b", GroupId = 4, Support = 2,
                    Score = 0.8, ReasonCode = CandidateReason.Kept, Reason = "kept", Posted = true, Fingerprint = fingerprint,
                },
            ],
            Comments = [new PostedCommentRow { GitHubCommentId = commentId, Path = path, Line = 3, Side = "RIGHT", Quote = quote, Body = "**Bug** · b", Fingerprint = fingerprint, GroupId = 4 }],
        }, default);
        return reviewId;
    }

    private static FeedbackEvent Event(string key, FeedbackKind kind, long reviewId, string permission = "write", FeedbackValue? value = null, long? reaction = null) => new()
    {
        SourceKey = key,
        Repository = "o/r",
        PullRequest = 1,
        Kind = kind,
        Value = value,
        RaterLogin = "maint",
        RaterPermission = permission,
        RaterIsAuthor = false,
        OccurredAt = T0.AddMinutes(1),
        ReviewId = reviewId,
        Fingerprint = "fp1",
        GitHubCommentId = 501,
        GitHubReactionId = reaction,
        Text = "a reply",
    };

    [Fact]
    public async Task An_event_is_appended_once_per_source_key_with_every_field_and_its_candidate_link()
    {
        var reviewId = await PostedAsync(1, 501);
        var feedback = Event("reply:1", FeedbackKind.Reply, reviewId) with { Rating = null, GitHubReplyId = 77, HeadSha = "h", Path = "src/a_b.cs", Line = 3, GitHubThreadId = "T" };

        Assert.True(await _store.AppendAsync(feedback, T0.AddMinutes(2), default));
        Assert.False(await _store.AppendAsync(feedback with { Text = "changed" }, T0.AddMinutes(3), default));

        var stored = Assert.Single(await _store.ListEventsAsync("o/r", 1, default));
        Assert.Equal(feedback, stored.Event);
        Assert.Equal(T0.AddMinutes(2), stored.RecordedAt);
        Assert.Equal((0, 4, 1, "p1", "bug"), (stored.CandidateIndex, stored.GroupId, stored.SampleIndex, stored.PromptSha256, stored.Severity));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.AppendAsync(feedback with { SourceKey = "x", Rating = 8 }, T0, default));
    }

    [Fact]
    public async Task Comments_rated_down_by_writers_are_listed_and_a_retracted_reaction_or_a_readers_verdict_is_not()
    {
        var first = await PostedAsync(1, 501, "fp1");
        var second = await PostedAsync(1, 502, "fp2");
        var third = await PostedAsync(1, 503, "fp3");
        await _store.AppendAsync(Event("r1", FeedbackKind.Reaction, first, value: FeedbackValue.Negative, reaction: 11), T0, default);
        await _store.AppendAsync(Event("r2", FeedbackKind.Reaction, second, value: FeedbackValue.Negative, reaction: 12) with { Fingerprint = "fp2" }, T0, default);
        await _store.AppendAsync(Event("r2x", FeedbackKind.ReactionRetracted, second, value: FeedbackValue.Negative, reaction: 12) with { Fingerprint = "fp2" }, T0, default);
        await _store.AppendAsync(Event("c3", FeedbackKind.CommandWrong, third, permission: "read") with { Fingerprint = "fp3" }, T0, default);

        Assert.Equal(["fp1"], (await _store.ListRatedDownCommentsAsync("o/r", 1, default)).Select(c => c.Fingerprint));

        await _store.AppendAsync(Event("c3b", FeedbackKind.CommandNit, third, permission: "maintain") with { Fingerprint = "fp3" }, T0, default);
        var suppressed = SuppressedComments.FingerprintsOf(await _store.ListRatedDownCommentsAsync("o/r", 1, default));
        Assert.Contains("fp3", suppressed);
        Assert.True(SuppressedComments.Matches("src/a_b.cs", Engine.Diff.DiffSide.Right, "int total = price * quantity;\nreturn total;", suppressed));
        Assert.False(SuppressedComments.Matches("src/other.cs", Engine.Diff.DiffSide.Right, "int total = price * quantity;", suppressed));
    }

    [Fact]
    public async Task Polls_are_discovered_once_and_two_replicas_never_claim_the_same_one()
    {
        for (var pr = 1; pr <= 6; pr++)
        {
            await PostedAsync(pr, 600 + pr);
        }

        Assert.Equal(6, await _store.DiscoverPollsAsync(T0, TimeSpan.Zero, 100, default));
        Assert.Equal(0, await _store.DiscoverPollsAsync(T0, TimeSpan.Zero, 100, default));

        var other = Open();
        var claims = await Task.WhenAll(
            _store.ClaimDuePollsAsync("a", T0.AddSeconds(1), TimeSpan.FromMinutes(1), 10, default),
            other.ClaimDuePollsAsync("b", T0.AddSeconds(1), TimeSpan.FromMinutes(1), 10, default));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(6, all.Count);
        Assert.Equal(6, all.Select(p => p.PullRequest).Distinct().Count());
        Assert.All(all, p => Assert.Equal(9, p.InstallationId));
        Assert.Empty(await _store.ClaimDuePollsAsync("c", T0.AddSeconds(2), TimeSpan.FromMinutes(1), 10, default));

        // Released: next time, ETag and author kept; a finished poll is never claimed again; an expired lease is.
        var mine = claims[0].Concat(claims[1]).ToList();
        await (claims[0].Count > 0 ? _store : other).ReleasePollAsync(mine[0] with { ETag = "W/\"e\"", AuthorLogin = "octocat" },
            claims[0].Count > 0 ? "a" : "b", T0.AddSeconds(10), finished: false, T0, default);
        var again = Assert.Single(await _store.ClaimDuePollsAsync("c", T0.AddSeconds(11), TimeSpan.FromMinutes(1), 1, default));
        Assert.Equal((mine[0].PullRequest, "W/\"e\"", "octocat"), (again.PullRequest, again.ETag, again.AuthorLogin));
        await _store.ReleasePollAsync(again, "c", T0, finished: true, T0, default);
        var expired = await _store.ClaimDuePollsAsync("d", T0.AddMinutes(5), TimeSpan.FromMinutes(1), 10, default);
        Assert.Equal(5, expired.Count);
        Assert.DoesNotContain(expired, p => p.PullRequest == again.PullRequest);

        await _store.SetPullRequestClosedAsync("o/r", again.PullRequest, T0.AddDays(1), T0.AddDays(1), default);
        var reopened = Assert.Single(await _store.ClaimDuePollsAsync("e", T0.AddDays(1), TimeSpan.FromMinutes(1), 10, default), p => p.PullRequest == again.PullRequest);
        Assert.Equal(T0.AddDays(1), reopened.ClosedAt);
    }

    [Fact]
    public async Task The_nearest_reviewed_chunk_is_found_by_candidate_else_by_the_prompt_naming_the_file()
    {
        var reviewId = await PostedAsync(1, 501);

        Assert.Equal((reviewId, 0), await _store.FindNearestChunkAsync("o/r", 1, "src/a_b.cs", 40, default));
        Assert.Null(await _store.FindNearestChunkAsync("o/r", 1, "src/a%b.cs", 3, default));
        Assert.Null(await _store.FindNearestChunkAsync("o/r", 1, "src/axb.cs", 3, default));
        Assert.Equal((reviewId, 0), await _store.FindNearestChunkAsync("o/r", 1, "diff of src", 3, default));
    }

    [Fact]
    public async Task Comment_state_round_trips_and_forget_deletes_a_repositorys_feedback()
    {
        var reviewId = await PostedAsync(1, 501);
        await _store.AppendAsync(Event("r1", FeedbackKind.Reaction, reviewId, value: FeedbackValue.Positive, reaction: 1), T0, default);
        await _store.DiscoverPollsAsync(T0, TimeSpan.Zero, 10, default);
        var state = new CommentReactionState("+1=1", [new SeenReaction(1, "maint", "+1")]);
        await _store.SaveCommentStateAsync(501, state, default);
        Assert.Equal(state.Reactions, (await _store.GetCommentStateAsync(501, default))!.Reactions);

        Assert.Single(await _store.ListCommentsForStatsAsync("O/R", null, default));
        Assert.Empty(await _store.ListCommentsForStatsAsync(null, T0.AddDays(1), default));
        Assert.Single(await _store.ListAllEventsAsync(null, null, default));

        // Pruning a review's research records takes its feedback with it; a newer review's stays.
        var newer = await PostedAsync(2, 502);
        await _store.AppendAsync(Event("r2", FeedbackKind.Reaction, newer, value: FeedbackValue.Positive, reaction: 2) with { PullRequest = 2 }, T0, default);
        await _store.Database.WriteAsync(connection => SqlDatabase.ExecuteAsync(connection,
            $"UPDATE reviews SET finished_at = {T0.AddDays(30).ToUnixTimeMilliseconds()} WHERE id = {newer}"), default);
        await _store.PruneAsync(T0.AddDays(-1), T0.AddDays(1), default);
        Assert.Empty(await _store.ListEventsAsync("o/r", 1, default));
        Assert.Null(await _store.GetCommentStateAsync(501, default));
        Assert.Single(await _store.ListEventsAsync("o/r", 2, default));
        await _store.SaveCommentStateAsync(502, state, default);

        await _store.ForgetRepositoryAsync("o/r", default);

        Assert.Empty(await _store.ListEventsAsync("o/r", 2, default));
        Assert.Null(await _store.GetCommentStateAsync(502, default));
        Assert.Empty(await _store.ClaimDuePollsAsync("a", T0.AddDays(1), TimeSpan.FromMinutes(1), 10, default));
    }
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreTests
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

public sealed class PostgresFeedbackStoreTests : FeedbackStoreTests
{
    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}
