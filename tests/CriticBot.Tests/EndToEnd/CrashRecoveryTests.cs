using System.Net;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// The real `criticbot serve` process, killed (SIGKILL) in the middle of a review, and the same host started again
/// or another replica started on the same database, all with the DEFAULT lease settings: the review is resumed
/// within a minute of the kill and posted exactly once. (With the old 5-minute delivery lease and 15-minute review
/// lease this waited minutes.)
/// </summary>
public sealed class CrashRecoveryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Killing_the_server_mid_review_and_starting_it_again_posts_exactly_one_review_within_a_minute(bool anotherReplica)
    {
        var critic = ReviewHarness.DefaultCritic();
        var modelCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim(false);
        var crashed = 0;
        await using var h = await ReviewHarness.StartAsync(critic, startService: false);
        h.Model.Responder = request =>
        {
            if (Volatile.Read(ref crashed) == 0)
            {
                // The first process is mid-review: hold its model calls until it has been killed.
                modelCalled.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return critic.Respond(request);
        };
        var secret = "crash-test-secret";
        var environment = h.ServiceSettings();
        environment["GITHUB_WEBHOOK_SECRET"] = secret;
        environment["CRITICBOT_DATABASE"] = h.Database.Path;
        // Inbox and review leases, poll interval and retry delays stay at their defaults: that is what is tested.
        environment["GitHub__MinimumWriteInterval"] = "00:00:00";
        environment["GitHub__BaseBackoff"] = "00:00:00.010";
        environment.Remove("GitHub:MinimumWriteInterval");
        environment.Remove("GitHub:BaseBackoff");

        var deliveryId = Guid.NewGuid().ToString();
        await using (var first = await ServerProcess.StartAsync(environment))
        {
            using var response = await first.SendAsync("pull_request",
                GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), deliveryId, secret);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await modelCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
            first.Kill();
        }

        var killedAt = DateTime.UtcNow;
        Volatile.Write(ref crashed, 1);
        release.Set();
        Assert.Empty(h.Reviews);

        if (anotherReplica)
        {
            // Another host: it cannot take the dead one's review claim back at once, only once its lease has passed.
            environment["Review__WorkerId"] = "replica-2";
        }

        await using var second = await ServerProcess.StartAsync(environment);
        await using var store = CriticBotStore.Open(h.Database.Path);
        var record = await WaitAsync(() => store.GetDeliveryAsync(deliveryId, CancellationToken.None),
            d => d?.Status is DeliveryStatus.Done or DeliveryStatus.Failed, second, killedAt);

        Assert.Equal(DeliveryStatus.Done, record!.Status);
        Assert.True(record.Attempts >= 2, $"attempts: {record.Attempts}");
        var review = Assert.Single(h.Reviews);
        Assert.Equal(h.HeadSha, review.CommitId);
        Assert.Equal(2, review.Comments.Count);

        // The dead process's check run was taken over, not duplicated, and is closed.
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal("completed", check.Status);
    }

    /// <summary>Polls until done; the bound is the cap: a minute from the kill.</summary>
    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, ServerProcess server, DateTime killedAt)
    {
        var deadline = killedAt.AddSeconds(60);
        T value = await read();
        while (!done(value))
        {
            Assert.True(DateTime.UtcNow < deadline, "not resumed within 60 s of the kill; server output:\n" + server.Output);
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }
}
