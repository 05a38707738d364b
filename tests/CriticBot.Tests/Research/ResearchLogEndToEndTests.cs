using System.Text.Json.Nodes;
using CriticBot.Engine.Critic;
using CriticBot.Reviews;
using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Research;

/// <summary>
/// A real review through the service (webhook, inbox, engine, OpenAI client, Octokit, simulator, SQLite file):
/// every model call, candidate and posted comment is in the research log, and uninstalling forgets it.
/// </summary>
public sealed class ResearchLogEndToEndTests
{
    [Fact]
    public async Task Every_model_call_and_candidate_is_recorded_and_leads_back_to_its_exact_prompt()
    {
        await using var h = await ReviewHarness.StartAsync();

        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        var review = Assert.Single(h.Reviews);
        var stored = await h.Store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), CancellationToken.None);
        var calls = await h.Store.GetModelCallsAsync(stored!.Id, CancellationToken.None);
        var candidates = await h.Store.GetResearchCandidatesAsync(stored.Id, CancellationToken.None);
        var comments = await h.Store.GetPostedCommentsAsync(stored.Id, CancellationToken.None);

        // One row per request the model server saw, with the exact prompt it was sent.
        Assert.Equal(h.Model.Requests.Count, calls.Count);
        Assert.Equal(3, calls.Select(c => (c.ChunkIndex, c.SampleIndex)).Distinct().Count(c => c.ChunkIndex == 0));
        foreach (var call in calls)
        {
            var prompt = await h.Store.GetPromptAsync(call.PromptSha256, CancellationToken.None);
            Assert.Contains(h.Model.Requests, r => r.SystemPrompt == prompt!.System && r.UserPrompt == prompt.User);
            Assert.Equal(("critic-test", "stop"), (call.Model, call.FinishReason));
            Assert.False(string.IsNullOrEmpty(call.Completion));
            Assert.True(call.PromptTokens > 0 && call.CompletionTokens > 0);
        }

        // Every candidate comes from a recorded call whose answer holds its quote.
        Assert.NotEmpty(candidates);
        foreach (var candidate in candidates)
        {
            var call = Assert.Single(calls, c => (c.ChunkIndex, c.SampleIndex, c.Attempt) == (candidate.ChunkIndex, candidate.SampleIndex, candidate.Attempt));
            Assert.Equal(ModelCallOutcome.Parsed, call.Outcome);
            Assert.Equal(call.PromptSha256, candidate.PromptSha256);
            Assert.Contains(JsonValue.Create(candidate.Quote).ToJsonString()[1..^1], call.Completion!, StringComparison.Ordinal);
        }

        // Groups are explicit: members of the posted group share its id and support, and exactly one was posted.
        Assert.Contains(candidates, c => c.ReasonCode is CandidateReason.QuoteNotFound or CandidateReason.FileNotInDiff);
        var posted = candidates.Where(c => c.Posted).ToList();
        Assert.Equal(2, posted.Count);
        foreach (var kept in posted)
        {
            var group = candidates.Where(c => c.GroupId == kept.GroupId).ToList();
            Assert.All(group, c => Assert.Equal(group.Select(m => (m.ChunkIndex, m.SampleIndex)).Distinct().Count(), c.Support));
            Assert.Equal(CandidateReason.Kept, kept.ReasonCode);
            Assert.All(group.Where(c => c != kept), c => Assert.Equal(CandidateReason.Duplicate, c.ReasonCode));
        }

        // Posted comments carry GitHub's real ids and the group they were made of.
        Assert.Equal(review.Comments.Select(c => c.Id).Order(), comments.Select(c => c.GitHubCommentId!.Value).Order());
        Assert.All(comments, c => Assert.Equal(CommentPlacement.Inline, c.Placement));
        Assert.Equal(posted.Select(c => (c.Fingerprint, c.GroupId)).Order(), comments.Select(c => ((string?)c.Fingerprint, c.GroupId)).Order());
    }

    [Fact]
    public async Task Uninstalling_the_app_forgets_its_repositories_data()
    {
        await using var h = await ReviewHarness.StartAsync();
        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        var key = new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha);
        var reviewId = (await h.Store.GetReviewAsync(key, CancellationToken.None))!.Id;
        var prompt = (await h.Store.GetModelCallsAsync(reviewId, CancellationToken.None))[0].PromptSha256;

        var uninstall = Guid.NewGuid().ToString();
        using (var response = await h.Service!.SendAsync("installation", GitHubPayloads.Installation("deleted"), uninstall))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(uninstall)).Status);
        Assert.Null(await h.Store.GetReviewAsync(key, CancellationToken.None));
        Assert.Empty(await h.Store.GetModelCallsAsync(reviewId, CancellationToken.None));
        Assert.Empty(await h.Store.GetResearchCandidatesAsync(reviewId, CancellationToken.None));
        Assert.Null(await h.Store.GetPromptAsync(prompt, CancellationToken.None));
        Assert.Empty(await h.Store.GetRepositoriesOfInstallationAsync(ReviewHarness.InstallationId, CancellationToken.None));
        Assert.NotNull(await h.Store.GetDeliveryAsync(uninstall, CancellationToken.None));
    }

    [Fact]
    public async Task Removing_a_repository_from_the_installation_forgets_only_that_repository()
    {
        await using var h = await ReviewHarness.StartAsync();
        await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        var key = new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha);
        var other = await h.Service!.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", "octo-org/gadgets", 3, h.HeadSha, h.BaseSha), "other-repo");
        other.Dispose();
        await h.FinishedAsync("other-repo");

        var payload = new JsonObject
        {
            ["action"] = "removed",
            ["installation"] = JsonNode.Parse(GitHubPayloads.Installation())!["installation"]!.DeepClone(),
            ["repository_selection"] = "selected",
            ["repositories_added"] = new JsonArray(),
            ["repositories_removed"] = new JsonArray(new JsonObject { ["id"] = 1, ["name"] = "widgets", ["full_name"] = "Octo-Org/Widgets" }),
        }.ToJsonString();
        var removal = Guid.NewGuid().ToString();
        (await h.Service.SendAsync("installation_repositories", payload, removal)).Dispose();

        Assert.Equal(DeliveryStatus.Done, (await h.FinishedAsync(removal)).Status);
        Assert.Null(await h.Store.GetReviewAsync(key, CancellationToken.None));
        Assert.Equal(["octo-org/gadgets"], await h.Store.GetRepositoriesOfInstallationAsync(ReviewHarness.InstallationId, CancellationToken.None));
    }
}
