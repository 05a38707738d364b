using System.Text;
using CriticBot.Intake;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Intake;

public sealed class WebhookUnitTests
{
    [Fact]
    public void Signature_matches_an_independent_hmac_and_rejects_any_change()
    {
        var body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened"));
        var secret = Encoding.UTF8.GetBytes("s3cr3t");
        var header = TestService.Sign(body, "s3cr3t");

        Assert.Equal(header, WebhookSignature.Compute(body, secret));
        Assert.True(WebhookSignature.IsValid(body, header, secret));
        Assert.True(WebhookSignature.IsValid(body, header.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal), secret));
        body[10] ^= 1;
        Assert.False(WebhookSignature.IsValid(body, header, secret));
        Assert.False(WebhookSignature.IsValid(body, null, secret));
        Assert.False(WebhookSignature.IsValid(body, header[..^2], secret));
    }

    [Fact]
    public void Payload_fields_are_read_from_each_event_shape()
    {
        var pr = WebhookPayload.TryParse(Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened", "a/b", 3)), out _);
        Assert.Equal(new WebhookPayload { Action = "opened", InstallationId = GitHubPayloads.InstallationId, RepositoryFullName = "a/b", PullRequest = 3 }, pr);

        var comment = WebhookPayload.TryParse(Encoding.UTF8.GetBytes(GitHubPayloads.IssueComment("a/b", 4, onPullRequest: false)), out _);
        Assert.Null(comment!.PullRequest);

        var install = WebhookPayload.TryParse(Encoding.UTF8.GetBytes(GitHubPayloads.Installation()), out _);
        Assert.Equal(("created", GitHubPayloads.InstallationId, (string?)null), (install!.Action, install.InstallationId!.Value, install.RepositoryFullName));
    }

    [Fact]
    public void Fields_of_the_wrong_type_are_treated_as_absent()
    {
        var payload = WebhookPayload.TryParse(
            Encoding.UTF8.GetBytes("{\"action\":5,\"installation\":{\"id\":\"x\"},\"repository\":[],\"pull_request\":{\"number\":1e40}}"), out _);

        Assert.Equal(new WebhookPayload(), payload);
    }

    [Theory]
    [InlineData("pull_request", "opened", false, true)]
    [InlineData("pull_request", "synchronize", false, true)]
    [InlineData("pull_request", "ready_for_review", false, true)]
    [InlineData("pull_request", "reopened", false, true)]
    [InlineData("pull_request", "closed", false, true)]
    [InlineData("pull_request", "edited", false, false)]
    [InlineData("pull_request_review_comment", "created", true, true)]
    [InlineData("pull_request_review_comment", "edited", true, false)]
    [InlineData("pull_request_review_thread", "resolved", true, true)]
    [InlineData("pull_request_review_thread", "unresolved", true, true)]
    [InlineData("pull_request", null, false, false)]
    [InlineData("issue_comment", "created", true, true)]
    [InlineData("issue_comment", "created", false, false)]
    [InlineData("issue_comment", "edited", true, false)]
    [InlineData("installation", "deleted", false, true)]
    [InlineData("installation_repositories", "added", false, true)]
    [InlineData("push", null, false, false)]
    public void Handled_events_are_exactly_the_ones_the_pipeline_needs(string eventName, string? action, bool onPullRequest, bool handled) =>
        Assert.Equal(handled, WebhookEvents.IsHandled(eventName, action, onPullRequest));
}
