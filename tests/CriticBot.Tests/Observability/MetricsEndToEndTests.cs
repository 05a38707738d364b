using System.Net;
using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Observability;

/// <summary>
/// Metric listeners see every meter of a name in the process, so these tests run alone (no other host is
/// recording meanwhile) and compare scrapes before and after.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics (alone)";
}

[Collection(MetricsCollection.Name)]
public sealed class MetricsEndToEndTests
{
    [Fact]
    public async Task After_a_review_the_scraped_counters_moved_by_what_happened()
    {
        await using var h = await ReviewHarness.StartAsync();
        var client = h.Service!.Client;
        var before = await PrometheusText.ScrapeAsync(client);
        var gitHubRequestsBefore = h.GitHub.Requests.Count;
        // One 502 on reading the pull request: retried after a backoff, which counts as a wait.
        h.GitHub.FailNext("GET", $"/pulls/{ReviewHarness.Number}", 502);

        var delivery = await h.SendPullRequestAsync("opened");
        var record = await h.FinishedAsync(delivery);
        Assert.Equal(DeliveryStatus.Done, record.Status);
        using (var forged = await h.Service.SendAsync("pull_request", "{}", signature: "sha256=" + new string('0', 64)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        var after = await PrometheusText.ScrapeAsync(client);
        double Delta(string series) => after[series] - before[series];

        Assert.Equal(1, Delta("criticbot_deliveries_received_total{event=\"pull_request\",result=\"queued\"}"));
        Assert.Equal(1, Delta("criticbot_deliveries_rejected_total{reason=\"bad_signature\"}"));
        Assert.Equal(1, Delta("criticbot_deliveries_processed_total{result=\"done\"}"));
        Assert.Equal(1, Delta("criticbot_reviews_total{outcome=\"posted\"}"));

        var review = Assert.Single(h.Reviews);
        Assert.Equal(review.Comments.Count, Delta("criticbot_comments_posted_total{placement=\"inline\"}"));
        // The default critic invents code: those highlights are dropped as ungrounded and counted by reason.
        var stored = await h.Store.GetReviewAsync(new ReviewKey(ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha), CancellationToken.None);
        var candidates = await h.Store.GetResearchCandidatesAsync(stored!.Id, CancellationToken.None);
        foreach (var reason in candidates.Where(c => c.ReasonCode != Engine.Critic.CandidateReason.Kept).GroupBy(c => c.ReasonCode))
        {
            Assert.Equal(reason.Count(), Delta($"criticbot_comments_dropped_total{{reason=\"{Engine.Critic.CandidateReasons.WireName(reason.Key)}\"}}"));
        }

        Assert.True(candidates.Any(c => c.ReasonCode != Engine.Critic.CandidateReason.Kept), "the scenario should drop something");

        // One latency sample per model call; the tokens are the model's reported usage.
        var calls = await h.Store.GetModelCallsAsync(stored.Id, CancellationToken.None);
        Assert.Equal(h.Model.Requests.Count, calls.Count);
        Assert.Equal(calls.Count, Delta("criticbot_model_call_duration_seconds_count{outcome=\"ok\"}"));
        Assert.Equal(calls.Sum(c => (double)c.PromptTokens), Delta("criticbot_model_tokens_total{kind=\"prompt\"}"));
        Assert.Equal(calls.Sum(c => (double)c.CompletionTokens), Delta("criticbot_model_tokens_total{kind=\"completion\"}"));
        Assert.True(Delta("criticbot_model_call_duration_seconds_sum{outcome=\"ok\"}") > 0);
        Assert.Equal(0, Delta("criticbot_model_errors_total{kind=\"unavailable\"}"));

        // Every request the simulator saw came through the instrumented GitHub handler, and its rate limit is reported.
        Assert.Equal(h.GitHub.Requests.Count - gitHubRequestsBefore, after.Sum("criticbot_github_api_calls_total") - before.Sum("criticbot_github_api_calls_total"));
        Assert.True(after.Has("criticbot_github_rate_limit_remaining"), after.Text);
        Assert.True(after["criticbot_github_rate_limit_remaining"] > 0);

        Assert.True(Delta("criticbot_github_waits_total{reason=\"server_error\"}") >= 1, after.Text);
        Assert.True(Delta("criticbot_github_wait_time_seconds_total{reason=\"server_error\"}") > 0, after.Text);
        Assert.True(Delta("criticbot_github_api_calls_total{method=\"GET\",status=\"502\"}") >= 1, after.Text);

        // Every metric the Grafana dashboard queries exists under that name (model errors need a failing model).
        var dashboard = File.ReadAllText(Path.Combine(Setup.FirstRunTests.RepositoryRoot(), "deploy", "grafana", "criticbot.json"));
        var queried = System.Text.RegularExpressions.Regex.Matches(dashboard, "criticbot_[a-z_]+").Select(m => m.Value)
            .Select(name => System.Text.RegularExpressions.Regex.Replace(name, "_(bucket|sum|count)$", "")).Distinct().ToList();
        Assert.True(queried.Count >= 12);
        foreach (var name in queried.Where(n => n != "criticbot_model_errors_total"))
        {
            Assert.Contains($"\n{name}", after.Text, StringComparison.Ordinal);
        }

        // Nothing is left in the inbox.
        Assert.Equal(0, after["criticbot_inbox_depth{status=\"pending\"}"]);
        Assert.Equal(0, after["criticbot_inbox_oldest_age_seconds"]);
    }

    [Fact]
    public async Task The_inbox_gauges_read_the_database()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, settings: new Dictionary<string, string?> { ["Inbox:Enabled"] = "false" });
        var empty = await PrometheusText.ScrapeAsync(service.Client);
        Assert.Equal(0, empty["criticbot_inbox_depth{status=\"pending\"}"]);
        Assert.True(empty.Has("criticbot_inbox_depth{status=\"pending\"}"), empty.Text);

        for (var i = 0; i < 3; i++)
        {
            using var response = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", "octo-org/widgets", 7 + i, "a1b2c3", "d4e5f6"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The gauges reuse one database read for a second; a later scrape sees the stored deliveries.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        PrometheusText scraped;
        do
        {
            scraped = await PrometheusText.ScrapeAsync(service.Client);
        }
        while (scraped["criticbot_inbox_depth{status=\"pending\"}"] != 3 && DateTime.UtcNow < deadline);

        Assert.Equal(3, scraped["criticbot_inbox_depth{status=\"pending\"}"]);
        Assert.Equal(0, scraped["criticbot_inbox_depth{status=\"processing\"}"]);
        Assert.True(scraped.Has("criticbot_inbox_oldest_age_seconds"), scraped.Text);
        Assert.True(scraped["criticbot_inbox_oldest_age_seconds"] >= 0);
    }

    /// <summary>Sizing the service (issue 12, many reviews at once) needs the runtime's GC heap and thread pool in /metrics.</summary>
    [Fact]
    public async Task The_runtime_gauges_of_the_gc_heap_and_the_thread_pool_are_scraped()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, settings: new Dictionary<string, string?> { ["Inbox:Enabled"] = "false" });
        // The heap gauges appear once a collection has happened.
        GC.Collect();
        var scraped = await PrometheusText.ScrapeAsync(service.Client);

        Assert.True(scraped.Sum("dotnet_gc_last_collection_heap_size_bytes") > 0, scraped.Text);
        Assert.True(scraped.Has("dotnet_gc_last_collection_memory_committed_size_bytes"), scraped.Text);
        Assert.True(scraped.Sum("dotnet_thread_pool_thread_count") >= 1, scraped.Text);
        Assert.True(scraped.Has("dotnet_thread_pool_queue_length"), scraped.Text);
    }
}
