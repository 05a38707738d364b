using System.Collections.Concurrent;
using System.Text;
using CriticBot.Storage;

namespace CriticBot.Tests.Storage;

/// <summary>
/// The store's contract, run against every database it supports (<see cref="SqliteStoreContractTests"/>,
/// <see cref="PostgresStoreContractTests"/>): the same behaviour, and the same guarantees under concurrency from
/// many tasks on two store instances (separate connections, as two replicas have).
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReviewLease = TimeSpan.FromMinutes(10);
    private static readonly ReviewKey Head1 = new("o/r", 5, "aaaa");
    private static readonly ReviewKey Head2 = new("o/r", 5, "bbbb");
    private readonly List<CriticBotStore> _opened = [];
    private string _setting = null!;
    private CriticBotStore _store = null!;

    /// <summary>A new, empty database; returns its CRITICBOT_DATABASE setting.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    /// <summary>Removes what <see cref="CreateDatabaseAsync"/> made, after every store on it is closed.</summary>
    protected virtual void DeleteDatabases()
    {
    }

    protected abstract DatabaseKind ExpectedKind { get; }

    public async Task InitializeAsync()
    {
        _setting = await CreateDatabaseAsync();
        _store = Open(_setting);
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

    private CriticBotStore Open(string setting)
    {
        var store = CriticBotStore.Open(setting);
        _opened.Add(store);
        return store;
    }

    /// <summary>Another instance on the same database: its own connections (and, on SQLite, its own writer).</summary>
    private CriticBotStore OpenSecondStore() => Open(_setting);

    private static NewDelivery Delivery(string id, string? repository = "o/r", int? pullRequest = 1, string body = "{\"action\":\"opened\"}",
        bool ignored = false, DateTimeOffset? receivedAt = null) => new()
    {
        DeliveryId = id,
        Event = "pull_request",
        Action = "opened",
        InstallationId = 9,
        RepositoryFullName = repository,
        PullRequest = pullRequest,
        Body = Encoding.UTF8.GetBytes(body),
        ReceivedAt = receivedAt ?? T0,
        Ignored = ignored,
    };

    private async Task<long> ClaimAsync(ReviewKey key, string worker = "w1", DateTimeOffset? now = null)
    {
        var claim = await _store.ClaimReviewAsync(key, "base", worker, ReviewLease, now ?? T0, default);
        return Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
    }

    [Fact]
    public void The_setting_opens_the_expected_database()
    {
        Assert.Equal(ExpectedKind, _store.Kind);
    }

    [Fact]
    public async Task Migration_is_recorded_once_and_is_idempotent_across_store_instances()
    {
        Assert.Equal(CriticBotStore.LatestSchemaVersion, await _store.GetSchemaVersionAsync(default));
        var second = OpenSecondStore();
        Assert.Equal(0, await second.MigrateAsync(default));
        Assert.Equal(0, await _store.MigrateAsync(default));
        Assert.Equal(CriticBotStore.LatestSchemaVersion, await second.GetSchemaVersionAsync(default));
        await second.PingAsync(default);
    }

    [Fact]
    public async Task Replicas_migrating_a_new_database_at_once_apply_each_script_exactly_once()
    {
        var fresh = await CreateDatabaseAsync();
        var replicas = Enumerable.Range(0, 6).Select(_ => Open(fresh)).ToList();

        var applied = await Task.WhenAll(replicas.Select(r => Task.Run(() => r.MigrateAsync(default))));

        // Every script applied by exactly one replica; the others found it done (and waited for it, not failed).
        Assert.Equal(Migrations.All.Count, applied.Sum());
        Assert.Equal(CriticBotStore.LatestSchemaVersion, await replicas[0].GetSchemaVersionAsync(default));
    }

    [Fact]
    public async Task A_failed_delivery_sent_again_is_queued_again_and_others_are_not()
    {
        await _store.TryAddDeliveryAsync(Delivery("d1"), default);
        var claimed = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);
        await _store.FailDeliveryAsync(claimed!.Id, "bad", default);

        Assert.True(await _store.TryAddDeliveryAsync(Delivery("d1"), default));
        var record = await _store.GetDeliveryAsync("d1", default);
        Assert.Equal((DeliveryStatus.Pending, 0, "redelivered after: bad"), (record!.Status, record.Attempts, record.LastError));
        Assert.False(await _store.TryAddDeliveryAsync(Delivery("d1"), default));
    }

    [Fact]
    public async Task Adding_a_delivery_twice_is_refused_and_keeps_the_first()
    {
        Assert.True(await _store.TryAddDeliveryAsync(Delivery("d1", body: "{\"first\":true}"), default));
        Assert.False(await _store.TryAddDeliveryAsync(Delivery("d1", body: "{\"second\":true}"), default));

        var record = await _store.GetDeliveryAsync("d1", default);
        Assert.NotNull(record);
        Assert.Equal(DeliveryStatus.Pending, record.Status);
        Assert.Equal(("pull_request", "opened", 9L, "o/r", 1), (record.Event, record.Action, record.InstallationId, record.RepositoryFullName, record.PullRequest));
        var claimed = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);
        Assert.Equal("{\"first\":true}", claimed!.Body);
    }

    [Fact]
    public async Task Claim_returns_the_body_exactly_and_counts_the_attempt()
    {
        var body = "{\"text\":\"ünïcødé ✓ " + new string('x', 50_000) + "\"}";
        await _store.TryAddDeliveryAsync(Delivery("d1", body: body), default);

        var claimed = await _store.ClaimNextDeliveryAsync("worker-a", Lease, T0, default);

        Assert.NotNull(claimed);
        Assert.Equal(body, claimed.Body);
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal(T0, claimed.ReceivedAt);
        Assert.Null(await _store.ClaimNextDeliveryAsync("worker-b", Lease, T0, default));
        Assert.Equal("worker-a", (await _store.GetDeliveryAsync("d1", default))!.ClaimedBy);
    }

    [Fact]
    public async Task Ignored_deliveries_are_stored_but_never_claimed()
    {
        await _store.TryAddDeliveryAsync(Delivery("d1", ignored: true), default);

        Assert.Null(await _store.ClaimNextDeliveryAsync("w", Lease, T0, default));
        var record = await _store.GetDeliveryAsync("d1", default);
        Assert.Equal(DeliveryStatus.Ignored, record!.Status);
        Assert.NotNull(record.FinishedAt);
    }

    [Fact]
    public async Task An_expired_lease_lets_another_worker_resume_the_delivery()
    {
        await _store.TryAddDeliveryAsync(Delivery("d1"), default);
        var first = await _store.ClaimNextDeliveryAsync("crashed", Lease, T0, default);

        Assert.Null(await _store.ClaimNextDeliveryAsync("other", Lease, T0 + Lease - TimeSpan.FromSeconds(1), default));
        var resumed = await _store.ClaimNextDeliveryAsync("other", Lease, T0 + Lease + TimeSpan.FromSeconds(1), default);

        Assert.NotNull(resumed);
        Assert.Equal(first!.Id, resumed.Id);
        Assert.Equal(2, resumed.Attempt);
        Assert.Equal("other", (await _store.GetDeliveryAsync("d1", default))!.ClaimedBy);
    }

    [Fact]
    public async Task Extending_a_lease_keeps_others_out_and_fails_for_a_worker_that_lost_it()
    {
        await _store.TryAddDeliveryAsync(Delivery("d1"), default);
        var claimed = await _store.ClaimNextDeliveryAsync("a", Lease, T0, default);

        Assert.True(await _store.ExtendDeliveryLeaseAsync(claimed!.Id, "a", T0 + Lease * 3, default));
        Assert.Null(await _store.ClaimNextDeliveryAsync("b", Lease, T0 + Lease * 2, default));
        Assert.False(await _store.ExtendDeliveryLeaseAsync(claimed.Id, "b", T0 + Lease * 9, default));
    }

    [Fact]
    public async Task Retry_waits_until_the_next_attempt_time_and_records_the_error()
    {
        await _store.TryAddDeliveryAsync(Delivery("d1"), default);
        var claimed = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);

        await _store.RetryDeliveryAsync(claimed!.Id, "HttpRequestException: 502", T0.AddSeconds(10), default);

        Assert.Null(await _store.ClaimNextDeliveryAsync("w", Lease, T0.AddSeconds(9), default));
        var again = await _store.ClaimNextDeliveryAsync("w", Lease, T0.AddSeconds(10), default);
        Assert.Equal(2, again!.Attempt);
        Assert.Equal("HttpRequestException: 502", (await _store.GetDeliveryAsync("d1", default))!.LastError);
    }

    [Fact]
    public async Task Complete_fail_and_release_set_the_status()
    {
        foreach (var id in new[] { "done", "failed", "released" })
        {
            await _store.TryAddDeliveryAsync(Delivery(id, repository: id), default);
        }

        var done = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);
        var failed = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);
        var released = await _store.ClaimNextDeliveryAsync("w", Lease, T0, default);
        await _store.CompleteDeliveryAsync(done!.Id, "handled", default);
        await _store.FailDeliveryAsync(failed!.Id, "bad payload", default);
        await _store.ReleaseDeliveryAsync(released!.Id, default);

        var doneRecord = await _store.GetDeliveryAsync("done", default);
        Assert.Equal((DeliveryStatus.Done, "handled"), (doneRecord!.Status, doneRecord.Outcome));
        var failedRecord = await _store.GetDeliveryAsync("failed", default);
        Assert.Equal((DeliveryStatus.Failed, "bad payload"), (failedRecord!.Status, failedRecord.LastError));
        var releasedRecord = await _store.GetDeliveryAsync("released", default);
        Assert.Equal((DeliveryStatus.Pending, 0, null), (releasedRecord!.Status, releasedRecord.Attempts, releasedRecord.ClaimedBy));
        Assert.Equal(1, (await _store.ClaimNextDeliveryAsync("w", Lease, T0, default))!.Attempt);

        var counts = await _store.CountDeliveriesByStatusAsync(default);
        Assert.Equal(1, counts[DeliveryStatus.Done]);
        Assert.Equal(1, counts[DeliveryStatus.Failed]);
        Assert.Equal(1, counts[DeliveryStatus.Processing]);
    }

    [Fact]
    public async Task Deliveries_of_one_pull_request_are_claimed_one_at_a_time_in_receipt_order()
    {
        await _store.TryAddDeliveryAsync(Delivery("a1", repository: "o/a", pullRequest: 1), default);
        await _store.TryAddDeliveryAsync(Delivery("a2", repository: "o/a", pullRequest: 1), default);
        await _store.TryAddDeliveryAsync(Delivery("b1", repository: "o/a", pullRequest: 2), default);
        await _store.TryAddDeliveryAsync(Delivery("n1", repository: null, pullRequest: null), default);
        await _store.TryAddDeliveryAsync(Delivery("n2", repository: null, pullRequest: null), default);

        var claimed = new List<string>();
        while (await _store.ClaimNextDeliveryAsync("w", Lease, T0, default) is { } next)
        {
            claimed.Add(next.DeliveryId);
        }

        // a2 waits behind a1; deliveries without a pull request are never held back.
        Assert.Equal(["a1", "b1", "n1", "n2"], claimed);
        var a1 = await _store.GetDeliveryAsync("a1", default);
        await _store.RetryDeliveryAsync(a1!.Id, "transient", T0.AddMinutes(1), default);
        Assert.Null(await _store.ClaimNextDeliveryAsync("w", Lease, T0, default));

        var retried = await _store.ClaimNextDeliveryAsync("w", Lease, T0.AddMinutes(1), default);
        Assert.Equal("a1", retried!.DeliveryId);
        await _store.CompleteDeliveryAsync(retried.Id, "handled", default);
        Assert.Equal("a2", (await _store.ClaimNextDeliveryAsync("w", Lease, T0.AddMinutes(1), default))!.DeliveryId);
    }

    [Fact]
    public async Task Two_processes_claiming_concurrently_never_get_the_same_delivery()
    {
        for (var i = 0; i < 60; i++)
        {
            await _store.TryAddDeliveryAsync(Delivery($"d{i}", repository: "o/r", pullRequest: i), default);
        }

        // A second store instance on the same file has its own writer connection, like another process.
        var other = OpenSecondStore();
        async Task<List<long>> ClaimAll(CriticBotStore store, string worker)
        {
            var ids = new List<long>();
            while (await store.ClaimNextDeliveryAsync(worker, Lease, T0, default) is { } claimed)
            {
                ids.Add(claimed.Id);
            }

            return ids;
        }

        var results = await Task.WhenAll(Task.Run(() => ClaimAll(_store, "a")), Task.Run(() => ClaimAll(other, "b")));

        var all = results.SelectMany(ids => ids).ToList();
        Assert.Equal(60, all.Count);
        Assert.Equal(60, all.Distinct().Count());
    }

    [Fact]
    public async Task Installations_are_upserted()
    {
        await _store.RecordInstallationAsync(7, "octo-org", "installation.created", default);
        await _store.RecordInstallationAsync(7, "octo-org-renamed", "installation_repositories.added", default);

        var record = await _store.GetInstallationAsync(7, default);
        Assert.Equal(("octo-org-renamed", "installation_repositories.added"), (record!.Account, record.LastAction));
        Assert.Null(await _store.GetInstallationAsync(8, default));
    }

    [Fact]
    public async Task Many_workers_on_two_instances_run_each_pull_request_one_delivery_at_a_time_in_receipt_order()
    {
        const int pullRequests = 12, perPullRequest = 5;
        for (var i = 0; i < perPullRequest; i++)
        {
            for (var pr = 0; pr < pullRequests; pr++)
            {
                await _store.TryAddDeliveryAsync(Delivery($"pr{pr}-{i}", repository: "o/r", pullRequest: pr), default);
            }
        }

        var other = OpenSecondStore();
        var inFlight = new ConcurrentDictionary<int, int>();
        var order = new ConcurrentDictionary<int, ConcurrentQueue<string>>();
        var overlaps = 0;
        var finished = 0;
        async Task Work(CriticBotStore store, string worker)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Volatile.Read(ref finished) < pullRequests * perPullRequest && DateTime.UtcNow < deadline)
            {
                var claimed = await store.ClaimNextDeliveryAsync(worker, Lease, T0, default);
                if (claimed is null)
                {
                    await Task.Delay(5);
                    continue;
                }

                var pr = claimed.PullRequest!.Value;
                if (inFlight.AddOrUpdate(pr, 1, (_, n) => n + 1) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                order.GetOrAdd(pr, _ => new ConcurrentQueue<string>()).Enqueue(claimed.DeliveryId);
                await Task.Yield();
                inFlight.AddOrUpdate(pr, 0, (_, n) => n - 1);
                await store.CompleteDeliveryAsync(claimed.Id, "handled", default);
                Interlocked.Increment(ref finished);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Work(i % 2 == 0 ? _store : other, $"w{i}"))));

        Assert.Equal(0, overlaps);
        Assert.Equal(pullRequests * perPullRequest, finished);
        for (var pr = 0; pr < pullRequests; pr++)
        {
            Assert.Equal(Enumerable.Range(0, perPullRequest).Select(i => $"pr{pr}-{i}"), order[pr]);
        }

        var counts = await _store.CountDeliveriesByStatusAsync(default);
        Assert.Equal(pullRequests * perPullRequest, counts[DeliveryStatus.Done]);
    }

    [Fact]
    public async Task A_head_is_claimed_once_other_workers_are_busy_until_the_lease_expires()
    {
        var id = await ClaimAsync(Head1, "w1");

        var busy = Assert.IsType<ReviewClaim.Busy>(await _store.ClaimReviewAsync(Head1, "base", "w2", ReviewLease, T0.AddMinutes(5), default));
        Assert.Equal("w1", busy.HeldBy);
        Assert.Equal(T0 + ReviewLease, busy.LeaseUntil);

        // Crash recovery: after the lease the same row is handed to the next worker.
        Assert.Equal(id, await ClaimAsync(Head1, "w2", T0 + ReviewLease + TimeSpan.FromSeconds(1)));
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

        var done = Assert.IsType<ReviewClaim.AlreadyDone>(await _store.ClaimReviewAsync(Head1, "base", "w2", ReviewLease, T0.AddDays(1), default));
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
        Assert.IsType<ReviewClaim.AlreadyDone>(await _store.ClaimReviewAsync(Head1, "base", "w9", ReviewLease, T0.AddDays(1), default));
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
        var other = OpenSecondStore();
        var key = new ReviewKey("o/r", 77, "race");
        var claims = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => Task.Run(() =>
                (i % 2 == 0 ? _store : other).ClaimReviewAsync(key, "base", $"w{i}", ReviewLease, T0, default))));

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

    [Fact]
    public async Task Only_the_current_holder_can_renew_a_review_claim()
    {
        var id = await ClaimAsync(Head1, "w1");
        Assert.True(await _store.ExtendReviewLeaseAsync(id, "w1", T0 + ReviewLease, default));
        Assert.False(await _store.ExtendReviewLeaseAsync(id, "w2", T0 + ReviewLease, default));

        // w1 was too slow: its lease passed and w2 took the head over; w1 must not post.
        Assert.Equal(id, await ClaimAsync(Head1, "w2", T0 + ReviewLease * 2));
        Assert.False(await _store.ExtendReviewLeaseAsync(id, "w1", T0 + ReviewLease * 3, default));
        Assert.True(await _store.ExtendReviewLeaseAsync(id, "w2", T0 + ReviewLease * 3, default));

        await _store.MarkReviewPostedAsync(id, 1, "{}", default);
        Assert.False(await _store.ExtendReviewLeaseAsync(id, "w2", T0 + ReviewLease * 4, default));
    }

    [Fact]
    public async Task Many_racing_claims_on_many_heads_from_two_instances_have_one_winner_per_head()
    {
        var other = OpenSecondStore();
        var heads = Enumerable.Range(0, 10).Select(i => new ReviewKey("o/r", 100 + i, $"head{i}")).ToList();
        var claims = await Task.WhenAll(
            Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
            {
                var key = heads[i % heads.Count];
                return (Key: key, Claim: await (i % 2 == 0 ? _store : other).ClaimReviewAsync(key, "base", $"w{i}", ReviewLease, T0, default));
            })));

        foreach (var group in claims.GroupBy(c => c.Key))
        {
            Assert.Single(group, c => c.Claim is ReviewClaim.Claimed);
            Assert.Equal(5, group.Count(c => c.Claim is ReviewClaim.Busy));
        }
    }
}
