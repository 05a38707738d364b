using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;

namespace CriticBot.Tests.Storage;

/// <summary>
/// A worker slowed past its review lease (a stalled replica) whose head another worker took over must not post:
/// only the claim's current holder posts, so two replicas never post two reviews for one push.
/// </summary>
public sealed class ReviewClaimTakeoverTests
{
    [Fact]
    public async Task A_worker_whose_claim_was_taken_over_while_it_reviewed_posts_nothing()
    {
        var critic = ReviewHarness.DefaultCritic();
        var modelCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim(false);
        await using var h = await ReviewHarness.StartAsync(critic);
        h.Model.Responder = request =>
        {
            modelCalled.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(30));
            return critic.Respond(request);
        };

        var deliveryId = await h.SendPullRequestAsync("opened");
        await modelCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Another replica, an hour later by its clock: the service's claim (15 min lease) has passed; it takes over.
        var key = new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha);
        Assert.IsType<ReviewClaim.Claimed>(await h.Store.ClaimReviewAsync(key, h.BaseSha, "other-replica",
            TimeSpan.FromHours(2), DateTimeOffset.UtcNow.AddHours(1), default));
        release.Set();

        var record = await h.FinishedAsync(deliveryId);

        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.StartsWith("not posted: another worker took over", record.Outcome, StringComparison.Ordinal);
        Assert.Empty(h.Reviews);
        Assert.Equal(ReviewStatus.InProgress, (await h.Store.GetReviewAsync(key, default))!.Status);
    }
}
