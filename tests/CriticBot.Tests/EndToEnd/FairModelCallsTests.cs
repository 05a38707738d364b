using System.Net;
using CriticBot.Engine.Model;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// Two installations on one service with a cap of one model call at a time: the installation with a backlog
/// (three pull requests) cannot make the other's review wait for all of it.
/// </summary>
public sealed class FairModelCallsTests
{
    private const long OtherInstallation = 5151;

    [Fact]
    public async Task A_second_installations_review_is_served_in_turns_with_the_first_installations_backlog()
    {
        var critic = ReviewHarness.DefaultCritic();
        await using var h = await ReviewHarness.StartAsync(critic, settings: new Dictionary<string, string?>
        {
            ["Review:MaxModelCalls"] = "1",
        });
        var permits = new SemaphoreSlim(0);
        h.Model.AsyncResponder = async (request, abandoned) =>
        {
            await permits.WaitAsync(abandoned);
            return critic.Respond(request);
        };

        // Installation 4242 (octo-org): three pull requests with the same change.
        foreach (var number in new[] { 8, 9 })
        {
            h.GitHub.OpenPullRequest(ReviewHarness.Repository, number, "main", h.BaseSha, h.HeadSha, h.FilesAt(h.BaseSha, h.HeadSha));
        }

        // Installation 5151 (other-org): one pull request adding a file of its own, so its prompts can be told apart.
        h.GitHub.AddInstallation(OtherInstallation, "other-org", appId: ReviewHarness.AppId);
        h.GitHub.AddRepository("other-org", "gadgets", OtherInstallation);
        h.Git.WriteFile("src/gadget.py", "def gadget(n):\n    return [i for i in range(n + 1)]\n");
        var gadgetHead = h.Git.Commit("gadget");
        h.GitHub.OpenPullRequest("other-org/gadgets", 3, "main", h.HeadSha, gadgetHead, h.FilesAt(h.HeadSha, gadgetHead));

        var limited = Assert.IsType<ConcurrencyLimitedModel>(h.Service!.Services.GetRequiredService<ICriticModel>());
        var deliveries = new List<string>();
        foreach (var number in new[] { 7, 8, 9 })
        {
            deliveries.Add(await SendAsync(h, GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, number, h.HeadSha, h.BaseSha)));
        }

        // One call of installation 4242 in flight, the other eight of its three reviews waiting.
        await WaitUntilAsync(() => limited.WaitingCalls("4242") == 8, () => $"4242 waiting: {limited.WaitingCalls("4242")}");
        var payload = GitHubPayloads.PullRequest("opened", "other-org/gadgets", 3, gadgetHead, h.HeadSha)
            .Replace("\"installation\":{\"id\":4242", "\"installation\":{\"id\":5151", StringComparison.Ordinal);
        deliveries.Add(await SendAsync(h, payload));
        await WaitUntilAsync(() => limited.WaitingCalls("5151") == 3, () => $"5151 waiting: {limited.WaitingCalls("5151")}");

        permits.Release(100);
        foreach (var delivery in deliveries)
        {
            Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(delivery)).Status);
        }

        // Served in turns: the gadget's three calls are 3rd, 5th and 7th of twelve, not the last three.
        var order = h.Model.Requests.Select(r => r.Messages.Any(m => m.Content.Contains("src/gadget.py", StringComparison.Ordinal))).ToList();
        Assert.Equal(12, order.Count);
        Assert.Equal([2, 4, 6], order.Select((isGadget, i) => (isGadget, i)).Where(x => x.isGadget).Select(x => x.i));
        Assert.Single(h.GitHub.Reviews("other-org/gadgets", 3));
    }

    private static async Task<string> SendAsync(ReviewHarness h, string payload)
    {
        var deliveryId = Guid.NewGuid().ToString();
        using var response = await h.Service!.SendAsync("pull_request", payload, deliveryId);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return deliveryId;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out: " + describe());
            await Task.Delay(50);
        }
    }
}
