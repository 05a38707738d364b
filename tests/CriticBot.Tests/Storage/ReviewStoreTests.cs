using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

public sealed class ReviewStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private static readonly ReviewKey Head1 = new("o/r", 5, "aaaa");
    private static readonly ReviewKey Head2 = new("o/r", 5, "bbbb");
    private readonly TestDatabase _database = new();
    private CriticBotStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = CriticBotStore.Open(_database.Path);
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _database.Dispose();
    }

    private async Task<long> ClaimAsync(ReviewKey key, string worker = "w1", DateTimeOffset? now = null)
    {
        var claim = await _store.ClaimReviewAsync(key, "base", worker, Lease, now ?? T0, default);
        return Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
    }

    [Fact]
    public async Task A_head_is_claimed_once_other_workers_are_busy_until_the_lease_expires()
    {
        var id = await ClaimAsync(Head1, "w1");

        var busy = Assert.IsType<ReviewClaim.Busy>(await _store.ClaimReviewAsync(Head1, "base", "w2", Lease, T0.AddMinutes(5), default));
        Assert.Equal("w1", busy.HeldBy);
        Assert.Equal(T0 + Lease, busy.LeaseUntil);

        // Crash recovery: after the lease the same row is handed to the next worker.
        Assert.Equal(id, await ClaimAsync(Head1, "w2", T0 + Lease + TimeSpan.FromSeconds(1)));
        Assert.Equal(2, (await _store.GetReviewAsync(Head1, default))!.Attempts);
    }

    [Fact]
    public async Task The_holder_may_claim_again_for_a_retried_delivery()
    {
        var id = await ClaimAsync(Head1, "w1");
        Assert.Equal(id, await ClaimAsync(Head1, "w1", T0.AddMinutes(1)));
    }

    [Fact]
    public async Task Finished_reviews_are_reported_as_already_done()
    {
        var id = await ClaimAsync(Head1);
        await _store.MarkReviewPostedAsync(id, 987654321, "{\"comments\":3}", default);

        var done = Assert.IsType<ReviewClaim.AlreadyDone>(await _store.ClaimReviewAsync(Head1, "base", "w2", Lease, T0.AddDays(1), default));
        Assert.Equal(ReviewStatus.Posted, done.Status);
        var record = await _store.GetReviewAsync(Head1, default);
        Assert.Equal((987654321L, "{\"comments\":3}"), (record!.GitHubReviewId, record.SummaryJson));
        Assert.Equal("aaaa", await _store.GetLastPostedHeadAsync("o/r", 5, default));
        Assert.Null(await _store.GetLastPostedHeadAsync("o/r", 6, default));
    }

    [Fact]
    public async Task A_new_head_supersedes_in_progress_reviews_of_older_heads_only()
    {
        var old = await ClaimAsync(Head1);
        var posted = await ClaimAsync(new ReviewKey("o/r", 5, "cccc"));
        await _store.MarkReviewPostedAsync(posted, 1, "{}", default);
        var current = await ClaimAsync(Head2);

        Assert.Equal(1, await _store.MarkSupersededAsync("o/r", 5, "bbbb", default));

        Assert.True(await _store.IsSupersededAsync(old, default));
        Assert.False(await _store.IsSupersededAsync(current, default));
        Assert.False(await _store.IsSupersededAsync(posted, default));
        Assert.IsType<ReviewClaim.AlreadyDone>(await _store.ClaimReviewAsync(Head1, "base", "w9", Lease, T0.AddDays(1), default));
    }

    [Fact]
    public async Task Finishing_needs_a_finished_status_and_an_existing_review()
    {
        var id = await ClaimAsync(Head1);
        await Assert.ThrowsAsync<ArgumentException>(() => _store.MarkReviewFinishedAsync(id, ReviewStatus.InProgress, "x", default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.MarkReviewFinishedAsync(id + 100, ReviewStatus.Skipped, "x", default));

        await _store.MarkReviewFinishedAsync(id, ReviewStatus.Skipped, "draft pull request", default);
        var record = await _store.GetReviewAsync(Head1, default);
        Assert.Equal((ReviewStatus.Skipped, "draft pull request"), (record!.Status, record.Reason));
    }

    [Fact]
    public async Task Concurrent_claims_of_one_head_from_two_processes_have_exactly_one_winner()
    {
        await using var other = CriticBotStore.Open(_database.Path);
        var key = new ReviewKey("o/r", 77, "race");
        var claims = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                (i % 2 == 0 ? _store : other).ClaimReviewAsync(key, "base", $"w{i}", Lease, T0, default))));

        Assert.Single(claims.OfType<ReviewClaim.Claimed>());
        Assert.Equal(7, claims.OfType<ReviewClaim.Busy>().Count());
    }

    [Fact]
    public async Task Candidates_and_prompts_round_trip_and_prompts_are_deduplicated()
    {
        var id = await ClaimAsync(Head1);
        var prompt = new PromptRow("sha-1", "You are a critic.", "```diff\n+x\n```");
        await _store.SavePromptsAsync(id, [prompt, prompt], default);
        await _store.SavePromptsAsync(id, [prompt], default);
        var candidates = new List<CandidateRow>
        {
            new()
            {
                ChunkIndex = 0, SampleIndex = 1, PromptSha256 = "sha-1", Path = "src/a.cs", Side = "RIGHT", Line = 12, StartLine = 10,
                Quote = "var x = 1;", Severity = "high", Body = "x is never used", Score = 0.75, Support = 3, Decision = "kept", Posted = true,
            },
            new()
            {
                ChunkIndex = 0, SampleIndex = 2, PromptSha256 = "sha-1", Quote = "not in diff", Body = "hallucinated",
                Decision = "ungrounded", Reason = "quote not found", Posted = false,
            },
        };

        await _store.SaveCandidatesAsync(id, candidates, default);

        Assert.Equal(candidates, await _store.GetCandidatesAsync(id, default));
        Assert.Equal(prompt, await _store.GetPromptAsync("sha-1", default));
        Assert.Null(await _store.GetPromptAsync("sha-2", default));
    }

    [Fact]
    public async Task Posted_fingerprints_cover_every_review_of_the_pull_request()
    {
        var first = await ClaimAsync(Head1);
        var second = await ClaimAsync(Head2);
        var elsewhere = await ClaimAsync(new ReviewKey("o/r", 6, "aaaa"));
        PostedCommentRow Comment(long githubId, string fingerprint) => new()
        {
            GitHubCommentId = githubId, Path = "a.cs", Line = 3, Side = "RIGHT", Quote = "q", Body = "b", Fingerprint = fingerprint,
        };

        await _store.SavePostedCommentsAsync(first, [Comment(1, "f1"), Comment(2, "f2")], default);
        await _store.SavePostedCommentsAsync(second, [Comment(3, "f2"), Comment(4, "f3")], default);
        await _store.SavePostedCommentsAsync(elsewhere, [Comment(5, "f9")], default);

        var fingerprints = await _store.GetPostedFingerprintsAsync("o/r", 5, default);
        Assert.Equal(new HashSet<string> { "f1", "f2", "f3" }, fingerprints.ToHashSet());
    }
}
