using CriticBot.Reviews;

namespace CriticBot.Tests.Reviews;

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
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"action":"opened","repository":{"full_name":"o/r"},"installation":{"id":1}}""", "pull_request")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"}}""", "installation.id")]
    [InlineData("""{"action":"opened","pull_request":{"number":"1","head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":{"id":1}}""", "number")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":"b","base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":{"id":1}}""", "head")]
    [InlineData("""{"action":"opened","pull_request":{"number":1,"head":{"sha":"b"},"base":{"sha":"a","ref":"main"}},"repository":{"full_name":"o/r"},"installation":7}""", "installation.id")]
    [InlineData("""[1,2]""", "pull_request")]
    public void Missing_fields_give_a_clear_reason(string body, string expected)
    {
        var ex = Assert.Throws<MalformedPayloadException>(() => WebhookPayloads.ReadPullRequest(body));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"action":"created","issue":{"number":3.5,"pull_request":{}},"comment":{"body":"x","user":{"login":"m"}},"repository":{"full_name":"o/r"},"installation":{"id":9}}""", "number")]
    [InlineData("""{"action":"created","issue":{"number":3,"pull_request":{}},"comment":{"body":"x","user":"m"},"repository":{"full_name":"o/r"},"installation":{"id":9}}""", "login")]
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
