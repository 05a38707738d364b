using System.Text;
using CriticBot.Intake;

namespace CriticBot.Tests.Intake;

public sealed class WebhookPayloadsTests
{
    [Fact]
    public void Pull_request_fields_are_read()
    {
        var pr = WebhookPayloads.ReadPullRequest("""
            {"action":"synchronize","number":7,
             "pull_request":{"number":7,"state":"open","draft":true,
               "head":{"sha":"bbb","ref":"feature"},"base":{"sha":"aaa","ref":"main"}},
             "repository":{"full_name":"octo/app"},"installation":{"id":42},"sender":{"login":"mona"},
             "a_field_github_adds_later":{"x":1}}
            """);
        Assert.Equal("synchronize", pr.Action);
        Assert.Equal(42, pr.InstallationId);
        Assert.Equal("octo/app", pr.Repository);
        Assert.Equal(7, pr.Number);
        Assert.Equal("bbb", pr.HeadSha);
        Assert.Equal("aaa", pr.BaseSha);
        Assert.Equal("main", pr.BaseRef);
        Assert.True(pr.Draft);
        Assert.Equal("mona", pr.SenderLogin);
        Assert.Equal("", pr.DefaultBranch);
    }

    [Fact]
    public void The_default_branch_comes_from_the_repository_or_the_base_repository()
    {
        const string pr = "\"pull_request\":{\"number\":7,\"head\":{\"sha\":\"b\"},\"base\":{\"sha\":\"a\",\"ref\":\"release\",\"repo\":{\"default_branch\":\"trunk\"}}}";
        var fromBase = WebhookPayloads.ReadPullRequest("{" + pr + ",\"repository\":{\"full_name\":\"o/r\"},\"installation\":{\"id\":1}}");
        var fromRepository = WebhookPayloads.ReadPullRequest("{" + pr + ",\"repository\":{\"full_name\":\"o/r\",\"default_branch\":\"main\"},\"installation\":{\"id\":1}}");

        Assert.Equal(("release", "trunk"), (fromBase.BaseRef, fromBase.DefaultBranch));
        Assert.Equal("main", fromRepository.DefaultBranch);
    }

    [Theory]
    [InlineData("\\ud800", "repository.full_name")]
    [InlineData("o/r\\udfff", "repository.full_name")]
    public void A_lone_surrogate_escape_in_a_needed_field_is_malformed_not_an_exception(string fullName, string field)
    {
        var body = $$$"""{"action":"opened","pull_request":{"number":1,"head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"{{{fullName}}}"},"installation":{"id":1}}""";

        var ex = Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadPullRequest(body));
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Unicode", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Routing_fields_that_are_invalid_utf8_lone_surrogates_or_oversized_are_absent_not_a_crash()
    {
        var invalidUtf8 = Encoding.UTF8.GetBytes("{\"action\":\"openedX\",\"repository\":{\"full_name\":\"o/r\"}}");
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'X')] = 0xFF;
        var surrogate = Encoding.UTF8.GetBytes("{\"action\":\"\\ud800\",\"repository\":{\"full_name\":\"\\udc00/x\"},\"installation\":{\"id\":3}}");
        var huge = Encoding.UTF8.GetBytes("{\"action\":\"" + new string('a', 1_000_000) + "\",\"repository\":{\"full_name\":\"" + new string('r', 300) + "\"}}");

        Assert.Equal(new WebhookPayload { RepositoryFullName = "o/r" }, WebhookPayload.TryParse(invalidUtf8, out _));
        Assert.Equal(new WebhookPayload { InstallationId = 3 }, WebhookPayload.TryParse(surrogate, out _));
        Assert.Equal(new WebhookPayload(), WebhookPayload.TryParse(huge, out _));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_malformed_everywhere()
    {
        var deep = "{\"action\":\"opened\",\"x\":" + new string('[', 200) + new string(']', 200) + "}";

        Assert.Null(WebhookPayload.TryParse(Encoding.UTF8.GetBytes(deep), out var error));
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
        Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadPullRequest(deep));
    }

    [Theory]
    [InlineData("""{"installation":{"id":1,"account":{"login":"octo-org"}}}""", "octo-org")]
    public void The_installation_account_is_read(string body, string expected) =>
        Assert.Equal(expected, WebhookPayloads.ReadInstallationAccount(body));

    [Theory]
    [InlineData("""{"installation":{"id":1}}""")]
    [InlineData("""{"installation":{"id":1,"account":{"login":7}}}""")]
    [InlineData("""{"installation":{"id":1,"account":{"login":"\ud800"}}}""")]
    [InlineData("""[]""")]
    [InlineData("""{"installation":""")]
    public void A_malformed_installation_payload_has_a_reason(string body) =>
        Assert.StartsWith("payload", Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadInstallationAccount(body)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"action":"opened","repository":{"full_name":"o/r"},"installation":{"id":1}}""", "pull_request")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"}}""", "installation.id")]
    [InlineData("""{"action":"opened","pull_request":{"number":"1","head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":{"id":1}}""", "number")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":"b","base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":{"id":1}}""", "head")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":7}""", "installation.id")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"action":"opened","pull_request":"yes","repository":{"full_name":"o/r"},"installation":{"id":1}}""", "pull_request")]
    public void Missing_fields_give_a_clear_reason(string body, string expected)
    {
        var ex = Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadPullRequest(body));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"action":"created","issue":{"number":3.5,"pull_request":{}},"comment":{"body":"x","user":{"login":"m"}},"repository":{"full_name":"o/r"},"installation":{"id":9}}""", "number")]
    [InlineData("""{"action":"created","issue":{"number":3,"pull_request":{}},"comment":{"body":"x","user":"m"},"repository":{"full_name":"o/r"},"installation":{"id":9}}""", "comment.user")]
    public void Wrongly_typed_comment_fields_give_a_clear_reason(string body, string expected)
    {
        var ex = Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadIssueComment(body));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue_comment_on_a_pull_request_is_recognised()
    {
        var comment = WebhookPayloads.ReadIssueComment("""
            {"action":"created","issue":{"number":3,"pull_request":{"url":"x"}},
             "comment":{"body":"/critic review","user":{"login":"mona","type":"User"}},
             "repository":{"full_name":"octo/app"},"installation":{"id":9}}
            """);
        Assert.True(comment.IsPullRequest);
        Assert.Equal("/critic review", comment.CommentBody);
        Assert.False(comment.CommenterIsBot);
        Assert.Equal(3, comment.Number);
    }
}
