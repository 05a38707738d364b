using System.Net;
using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>
/// Several replicas on one PostgreSQL database, as an organisation runs CriticBot behind a load balancer: two real
/// `criticbot serve` processes, the GitHub simulator and the fake model, deliveries split between the replicas
/// (and some sent to both, as a retrying sender does). Nothing is shared between the replicas but the database.
/// </summary>
public sealed class ReplicasEndToEndTests
{
    private const string Secret = "replicas-secret";
    private const string ShortInboxLease = "00:00:03";
    private const string ShortReviewLease = "00:00:04";

    /// <summary>Every replica's settings: the harness's, a PostgreSQL database, and the leases (set here on purpose).</summary>
    private static Dictionary<string, string?> ReplicaEnvironment(ReviewHarness h, string database, string workerId,
        string inboxLease = "00:00:30", string reviewLease = "00:01:00")
    {
        var environment = h.ServiceSettings();
        environment["GITHUB_WEBHOOK_SECRET"] = Secret;
        environment["CRITICBOT_DATABASE"] = database;
        environment["CRITICBOT_SAMPLES"] = "1";
        environment["Review__WorkerId"] = workerId;
        environment["Review__ReviewLease"] = reviewLease;
        environment["Inbox__Lease"] = inboxLease;
        environment["Inbox__RetryBaseDelay"] = "00:00:00.050";
        environment["Inbox__RetryMaxDelay"] = "00:00:00.500";
        environment["Inbox__PollInterval"] = "00:00:00.100";
        environment["GitHub__MinimumWriteInterval"] = "00:00:00";
        environment["GitHub__BaseBackoff"] = "00:00:00.010";
        environment.Remove("GitHub:MinimumWriteInterval");
        environment.Remove("GitHub:BaseBackoff");
        return environment;
    }

    [Fact]
    public async Task Two_replicas_review_200_deliveries_for_50_pull_requests_each_head_exactly_once()
    {
        const int pullRequests = 50, deliveriesPerPullRequest = 4;
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        await using var h = await ReviewHarness.StartAsync(startService: false);
        var files = h.FilesAt(h.BaseSha, h.HeadSha);
        // A head of its own per pull request (same code, its own commit), so check runs cannot be confused.
        var heads = new Dictionary<int, string>();
        for (var n = 1; n <= pullRequests; n++)
        {
            heads[n] = h.Git.Commit($"pull request {n}");
            h.GitHub.OpenPullRequest(ReviewHarness.Repository, n, "main", h.BaseSha, heads[n], files);
        }

        await using var a = await ServerProcess.StartAsync(ReplicaEnvironment(h, database, "replica-a"));
        await using var b = await ServerProcess.StartAsync(ReplicaEnvironment(h, server.Url(new Npgsql.NpgsqlConnectionStringBuilder(database).Database!), "replica-b"));
        await using var store = CriticBotStore.Open(database);

        // Round robin, every seventh delivery to both (the second copy is a duplicate and must change nothing).
        string[] actions = ["opened", "synchronize", "reopened", "ready_for_review"];
        var sends = new List<Task>();
        var index = 0;
        for (var round = 0; round < deliveriesPerPullRequest; round++)
        {
            for (var n = 1; n <= pullRequests; n++, index++)
            {
                var body = GitHubPayloads.PullRequest(actions[round], ReviewHarness.Repository, n, heads[n], h.BaseSha);
                var deliveryId = $"delivery-{n}-{round}";
                sends.Add(SendAsync(index % 2 == 0 ? a : b, body, deliveryId));
                if (index % 7 == 0)
                {
                    sends.Add(SendAsync(index % 2 == 0 ? b : a, body, deliveryId));
                }
            }
        }

        await Task.WhenAll(sends);
        await WaitAsync(async () =>
        {
            var counts = await store.CountDeliveriesByStatusAsync(default);
            return counts.GetValueOrDefault(DeliveryStatus.Done) + counts.GetValueOrDefault(DeliveryStatus.Failed) == pullRequests * deliveriesPerPullRequest;
        }, TimeSpan.FromSeconds(90), a, b);

        var final = await store.CountDeliveriesByStatusAsync(default);
        Assert.Equal(pullRequests * deliveriesPerPullRequest, final.GetValueOrDefault(DeliveryStatus.Done));
        var checkRuns = h.GitHub.CheckRuns(ReviewHarness.Repository);
        for (var n = 1; n <= pullRequests; n++)
        {
            var review = Assert.Single(h.GitHub.Reviews(ReviewHarness.Repository, n));
            Assert.Equal(heads[n], review.CommitId);
            var check = Assert.Single(checkRuns, run => run.HeadSha == heads[n]);
            Assert.Equal("completed", check.Status);
            Assert.Equal(ReviewStatus.Posted, (await store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, n, heads[n]), default))!.Status);
        }

        // Neither replica logged the database password.
        Assert.DoesNotContain(server.Password, a.Output + b.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_a_replica_mid_review_leaves_its_work_to_the_other()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var critic = ReviewHarness.DefaultCritic();
        var modelCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim(false);
        var killed = 0;
        await using var h = await ReviewHarness.StartAsync(critic, startService: false);
        h.Model.Responder = request =>
        {
            if (Volatile.Read(ref killed) == 0)
            {
                // Whichever replica reviews first is stuck here until it has been killed.
                modelCalled.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return critic.Respond(request);
        };

        var replicas = new Dictionary<string, ServerProcess>
        {
            // Short leases, so the survivor takes over within seconds rather than minutes.
            ["replica-a"] = await ServerProcess.StartAsync(ReplicaEnvironment(h, database, "replica-a", ShortInboxLease, ShortReviewLease)),
            ["replica-b"] = await ServerProcess.StartAsync(ReplicaEnvironment(h, database, "replica-b", ShortInboxLease, ShortReviewLease)),
        };
        try
        {
            await using var store = CriticBotStore.Open(database);
            var deliveryId = Guid.NewGuid().ToString();
            await SendAsync(replicas["replica-a"], GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), deliveryId);
            await modelCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var holder = (await ClaimHoldersAsync(store)).Single();
            var survivor = replicas.Keys.Single(name => name != holder);
            replicas[holder].Kill();
            Volatile.Write(ref killed, 1);
            release.Set();

            await WaitAsync(async () => (await store.GetDeliveryAsync(deliveryId, default))?.Status is DeliveryStatus.Done or DeliveryStatus.Failed,
                TimeSpan.FromSeconds(60), replicas[survivor], replicas[survivor]);
            var record = await store.GetDeliveryAsync(deliveryId, default);
            Assert.Equal(DeliveryStatus.Done, record!.Status);
            Assert.True(record.Attempts >= 2, $"attempts: {record.Attempts}");
            var review = Assert.Single(h.Reviews);
            Assert.Equal(h.HeadSha, review.CommitId);
            // The dead replica's check run was taken over, not duplicated, and is closed.
            var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
            Assert.Equal("completed", check.Status);
        }
        finally
        {
            release.Set();
            foreach (var replica in replicas.Values)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static async Task SendAsync(ServerProcess replica, string body, string deliveryId)
    {
        using var response = await replica.SendAsync("pull_request", body, deliveryId, Secret);
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"intake answered {response.StatusCode}");
    }

    /// <summary>The review workers holding a claim right now (a finished review keeps no holder).</summary>
    private static async Task<List<string>> ClaimHoldersAsync(CriticBotStore store)
    {
        await using var connection = await store.Database.OpenReadAsync(default);
        await using var command = SqlDatabase.Command(connection, "SELECT DISTINCT claimed_by FROM reviews WHERE claimed_by IS NOT NULL ORDER BY claimed_by");
        await using var reader = await command.ExecuteReaderAsync();
        var holders = new List<string>();
        while (await reader.ReadAsync())
        {
            holders.Add(reader.GetString(0));
        }

        return holders;
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan limit, ServerProcess a, ServerProcess b)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out; replica output:\n{a.Output}\n---\n{b.Output}");
            await Task.Delay(100);
        }
    }
}
