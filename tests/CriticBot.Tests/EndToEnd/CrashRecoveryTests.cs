using System.Net;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// The real `criticbot serve` process, killed in the middle of a review and started again on the same database:
/// the review is finished by the new process and posted exactly once.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Killing_the_server_mid_review_and_starting_it_again_posts_exactly_one_review()
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
        environment["Inbox__Lease"] = "00:00:02";
        environment["Inbox__RetryBaseDelay"] = "00:00:00.050";
        environment["Inbox__PollInterval"] = "00:00:00.100";
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

        Volatile.Write(ref crashed, 1);
        release.Set();
        Assert.Empty(h.Reviews);

        await using var second = await ServerProcess.StartAsync(environment);
        await using var store = CriticBotStore.Open(h.Database.Path);
        var record = await WaitAsync(() => store.GetDeliveryAsync(deliveryId, CancellationToken.None),
            d => d?.Status is DeliveryStatus.Done or DeliveryStatus.Failed, second);

        Assert.Equal(DeliveryStatus.Done, record!.Status);
        Assert.True(record.Attempts >= 2, $"attempts: {record.Attempts}");
        var review = Assert.Single(h.Reviews);
        Assert.Equal(h.HeadSha, review.CommitId);
        Assert.Equal(2, review.Comments.Count);

        // The dead process's check run was taken over, not duplicated, and is closed.
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal("completed", check.Status);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        T value = await read();
        while (!done(value))
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out; server output:\n" + server.Output);
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }
}
