using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>
/// The store's hourly budgets shared by processes, review lease renewal and coalescing, on every database
/// (<see cref="SqlitePipelineStoreTests"/>, <see cref="PostgresPipelineStoreTests"/>).
/// </summary>
public abstract class PipelineStoreTests : IAsyncLifetime
{
    private readonly List<CriticBotStore> _opened = [];
    private string _setting = null!;

    /// <summary>A new, empty database; returns its CRITICBOT_DATABASE setting.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    protected virtual void DeleteDatabases()
    {
    }

    public async Task InitializeAsync()
    {
        _setting = await CreateDatabaseAsync();
        await Open().MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        DeleteDatabases();
    }

    /// <summary>A store instance on the test's database: its own connections, as a replica has.</summary>
    private CriticBotStore Open()
    {
        var store = CriticBotStore.Open(_setting);
        _opened.Add(store);
        return store;
    }

    private static readonly DateTimeOffset Hour = new(2026, 11, 28, 22, 0, 0, TimeSpan.Zero);

    private static ModelCallReservation Reservation(int wanted, string author = "octocat", string repository = "octo-org/widgets") => new()
    {
        Repository = repository,
        Author = author,
        WindowStart = Hour,
        RepositoryLimit = 100,
        AuthorLimit = 60,
        Wanted = wanted,
    };

    [Fact]
    public async Task Two_stores_on_one_database_racing_for_an_hourly_budget_never_grant_more_than_it_holds()
    {
        var first = Open();
        var second = Open();

        // 40 reviews by one author on one repository, from two "replicas" at once, each wanting 7 calls.
        var grants = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? first : second).ReserveModelCallsAsync(Reservation(7), CancellationToken.None)));

        // The author's 60 is the tighter budget: granted in full until fewer than 7 are left, then the rest.
        Assert.Equal(60, grants.Sum(g => g.Granted));
        Assert.Equal(8, grants.Count(g => g.Granted == 7));
        Assert.Equal(1, grants.Count(g => g.Granted == 4));

        // Another author on the same repository has the repository's remaining 40, not more.
        var other = await first.ReserveModelCallsAsync(Reservation(70, author: "hubot"), CancellationToken.None);
        Assert.Equal((40, 40L), (other.Granted, other.RepositoryLeft));

        // Returned calls are available again; a new hour starts from zero.
        await first.ReturnModelCallsAsync(Reservation(7), 5, CancellationToken.None);
        Assert.Equal(5, (await second.ReserveModelCallsAsync(Reservation(7), CancellationToken.None)).Granted);
        var nextHour = await first.ReserveModelCallsAsync(Reservation(7) with { WindowStart = Hour.AddHours(1) }, CancellationToken.None);
        Assert.Equal(7, nextHour.Granted);
    }

    [Fact]
    public async Task A_review_lease_is_renewed_only_by_its_holder_and_only_while_in_progress()
    {
        var store = Open();
        var now = DateTimeOffset.UtcNow;
        var key = new ReviewKey("octo-org/widgets", 7, "abc");
        var claim = Assert.IsType<ReviewClaim.Claimed>(await store.ClaimReviewAsync(key, "base", "host-a", TimeSpan.FromSeconds(30), now, CancellationToken.None));

        Assert.True(await store.ExtendReviewLeaseAsync(claim.ReviewId, "host-a", now.AddMinutes(1), CancellationToken.None));
        Assert.False(await store.ExtendReviewLeaseAsync(claim.ReviewId, "host-b", now.AddMinutes(1), CancellationToken.None));

        // Renewed: another host is still held off after the first lease would have passed.
        var busy = Assert.IsType<ReviewClaim.Busy>(await store.ClaimReviewAsync(key, "base", "host-b", TimeSpan.FromSeconds(30), now.AddSeconds(45), CancellationToken.None));
        Assert.Equal("host-a", busy.HeldBy);

        await store.MarkSupersededAsync("octo-org/widgets", 7, "newer", CancellationToken.None);
        Assert.False(await store.ExtendReviewLeaseAsync(claim.ReviewId, "host-a", now.AddMinutes(2), CancellationToken.None));
    }

    [Fact]
    public async Task Coalescing_finishes_only_pending_deliveries_of_the_event_in_the_range()
    {
        var store = Open();
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, eventName, pr) in new[] { ("d1", "pull_request", 7), ("d2", "pull_request", 7), ("d3", "issue_comment", 7), ("d4", "pull_request", 8), ("d5", "pull_request", 7), ("d6", "pull_request", 7) })
        {
            await store.TryAddDeliveryAsync(new NewDelivery
            {
                DeliveryId = id, Event = eventName, Action = "synchronize", InstallationId = 1, RepositoryFullName = "octo-org/widgets",
                PullRequest = pr, Body = "{}"u8.ToArray(), ReceivedAt = now,
            }, CancellationToken.None);
        }

        var claimed = await store.ClaimNextDeliveryAsync("w", TimeSpan.FromSeconds(30), now, CancellationToken.None);
        Assert.Equal("d1", claimed!.DeliveryId);
        var upTo = await store.GetLatestDeliveryIdAsync("octo-org/widgets", 7, CancellationToken.None);
        var d5 = (await store.GetDeliveryAsync("d5", CancellationToken.None))!.Id;
        Assert.Equal(d5 + 1, upTo);
        Assert.Equal(upTo, await store.GetNewerPendingDeliveryIdAsync("octo-org/widgets", 7, "pull_request", claimed.Id, CancellationToken.None));

        Assert.Equal(2, await store.CoalesceDeliveriesAsync("octo-org/widgets", 7, "pull_request", claimed.Id, d5, "coalesced into d1", now, CancellationToken.None));

        Assert.Equal((DeliveryStatus.Done, "coalesced into d1"), Status(await store.GetDeliveryAsync("d2", CancellationToken.None)));
        Assert.Equal((DeliveryStatus.Done, "coalesced into d1"), Status(await store.GetDeliveryAsync("d5", CancellationToken.None)));
        Assert.Equal(DeliveryStatus.Pending, (await store.GetDeliveryAsync("d3", CancellationToken.None))!.Status);
        Assert.Equal(DeliveryStatus.Pending, (await store.GetDeliveryAsync("d4", CancellationToken.None))!.Status);
        Assert.Equal(DeliveryStatus.Pending, (await store.GetDeliveryAsync("d6", CancellationToken.None))!.Status);
        Assert.Equal(DeliveryStatus.Processing, (await store.GetDeliveryAsync("d1", CancellationToken.None))!.Status);
    }

    private static (DeliveryStatus, string?) Status(DeliveryRecord? record) => (record!.Status, record.Outcome);
}

/// <summary>The pipeline's store operations on a SQLite file.</summary>
public sealed class SqlitePipelineStoreTests : PipelineStoreTests
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

/// <summary>The pipeline's store operations on a real PostgreSQL server.</summary>
public sealed class PostgresPipelineStoreTests : PipelineStoreTests
{
    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}
