using System.Net;
using CriticBot.GitHub;
using CriticBot.Engine.Diff;

namespace CriticBot.Tests.GitHub;

public sealed class GitHubResilienceTests
{
    [Fact]
    public async Task Server_errors_are_retried_until_success()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1/files", 502, times: 2);
        var (gateway, _, _) = harness.Product();

        var files = await gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);

        Assert.Single(files);
        Assert.Equal([502, 502, 200], harness.Simulator.Requests.Where(r => r.Path.EndsWith("/files", StringComparison.Ordinal)).Select(r => r.Status));
    }

    [Fact]
    public async Task Review_post_meeting_a_server_error_is_not_repeated_but_handed_back_as_transient()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("POST", "/pulls/1/reviews", 502);
        var (_, _, publisher) = harness.Product();

        var error = await Assert.ThrowsAsync<GitHubTransientException>(() => publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1,
            new ReviewDraft { CommitId = "head1", Body = "Summary." }));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Single(harness.Simulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/reviews", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Token_request_meeting_a_server_error_is_retried()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("POST", "/access_tokens", 500);
        var (gateway, _, _) = harness.Product();

        Assert.NotNull(await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));
        Assert.Equal(1, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task Server_errors_past_the_attempt_budget_become_a_transient_error()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1", 503, times: 10);
        var (gateway, _, _) = harness.Product();

        var error = await Assert.ThrowsAsync<GitHubTransientException>(() => gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(harness.Resilience.MaxAttempts, harness.Simulator.Requests.Count(r => r.Path == "/repos/acme/widgets/pulls/1"));
    }

    [Fact]
    public async Task Secondary_limit_403_with_retry_after_is_waited_out_and_the_review_posted_once()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("POST", "/pulls/1/reviews", 403, retryAfter: TimeSpan.FromSeconds(1));
        var (_, _, publisher) = harness.Product();

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "Summary.",
            Comments = [new DraftComment { Path = "src/Calculator.cs", Line = 12, Body = "Sub?" }],
        });

        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Equal(result.ReviewId, review.Id);
        Assert.Equal([403, 200], harness.Simulator.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/reviews", StringComparison.Ordinal)).Select(r => r.Status));
    }

    [Fact]
    public async Task Too_many_requests_429_is_retried()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1", 429, retryAfter: TimeSpan.Zero);
        var (gateway, _, _) = harness.Product();

        Assert.NotNull(await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));
    }

    [Fact]
    public async Task Retry_after_longer_than_the_bound_is_a_transient_error_carrying_the_wait()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1", 429, retryAfter: TimeSpan.FromMinutes(10));
        var (gateway, _, _) = harness.Product();

        var error = await Assert.ThrowsAsync<GitHubTransientException>(() => gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.Equal(TimeSpan.FromMinutes(10), error.RetryAfter);
        Assert.Equal(1, harness.Simulator.Requests.Count(r => r.Path == "/repos/acme/widgets/pulls/1"));
    }

    [Fact]
    public async Task Secondary_limit_without_retry_after_is_handed_back_as_transient()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1", 403);
        var (gateway, _, _) = harness.Product();

        // GitHub asks for at least a minute; the bound in tests is 5 s, so the inbox gets it back.
        var error = await Assert.ThrowsAsync<GitHubTransientException>(() => gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task Used_up_primary_limit_is_waited_out_until_reset_when_short()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, tokens, _) = harness.Product();
        await tokens.GetTokenAsync(GitHubHarness.InstallationId);
        harness.Simulator.SetRateLimitRemaining(0, TimeSpan.FromSeconds(1));

        var pull = await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);

        Assert.NotNull(pull);
        Assert.Equal([403, 200], harness.Simulator.Requests.Where(r => r.Path == "/repos/acme/widgets/pulls/1").Select(r => r.Status));
    }

    [Fact]
    public async Task Used_up_primary_limit_with_a_distant_reset_is_transient_and_later_calls_do_not_hit_github()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, tokens, _) = harness.Product();
        await tokens.GetTokenAsync(GitHubHarness.InstallationId);
        harness.Simulator.SetRateLimitRemaining(0, TimeSpan.FromMinutes(30));

        await Assert.ThrowsAsync<GitHubTransientException>(() => gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));
        await Assert.ThrowsAsync<GitHubTransientException>(() => gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.Single(harness.Simulator.Requests, r => r.Path.StartsWith("/repos/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_never_carry_the_installation_token_or_the_jwt()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        harness.Simulator.FailNext("GET", "/pulls/1", 500);
        harness.Simulator.FailNext("POST", "/reviews", 429, retryAfter: TimeSpan.Zero);
        var options = harness.Options();
        var (gateway, tokens, publisher) = harness.Product(options);
        using var jwt = new GitHubAppJwt(options);

        await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);
        await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "b",
            Comments = [new DraftComment { Path = "src/Calculator.cs", Line = 99, Side = DiffSide.Right, Body = "off" }],
        });
        var token = await tokens.GetTokenAsync(GitHubHarness.InstallationId);

        var logs = harness.Logs.AllText;
        Assert.NotEmpty(harness.Logs.Entries);
        Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("ghs_", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", logs, StringComparison.Ordinal);
    }
}
