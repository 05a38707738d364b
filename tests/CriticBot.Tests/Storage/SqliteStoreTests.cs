using System.Text;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

public sealed class SqliteStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
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

    [Fact]
    public async Task Migration_is_recorded_once_and_is_idempotent_across_store_instances()
    {
        Assert.Equal(CriticBotStore.LatestSchemaVersion, await _store.GetSchemaVersionAsync(default));
        await using var second = CriticBotStore.Open(_database.Path);
        await second.MigrateAsync(default);
        await _store.MigrateAsync(default);
        Assert.Equal(CriticBotStore.LatestSchemaVersion, await second.GetSchemaVersionAsync(default));
        await second.PingAsync(default);
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
        await using var other = CriticBotStore.Open(_database.Path);
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
}
