using CriticBot.Inbox;

namespace CriticBot.Tests.Inbox;

public sealed class RetryAndRedactionTests
{
    [Fact]
    public void Retry_delay_doubles_per_attempt_within_jitter_and_is_capped()
    {
        var settings = new InboxOptions { RetryBaseDelay = TimeSpan.FromSeconds(4), RetryMaxDelay = TimeSpan.FromSeconds(60) };
        for (var i = 0; i < 50; i++)
        {
            var first = InboxWorker.RetryDelay(1, settings);
            var third = InboxWorker.RetryDelay(3, settings);
            var tenth = InboxWorker.RetryDelay(10, settings);
            Assert.InRange(first, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
            Assert.InRange(third, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16));
            Assert.InRange(tenth, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public void A_failure_that_says_when_to_come_back_is_waited_for_within_the_cap()
    {
        var settings = new InboxOptions
        {
            RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(8), MaxRetryAfter = TimeSpan.FromMinutes(65),
        };
        var rateLimited = new CriticBot.GitHub.GitHubTransientException("rate limited", System.Net.HttpStatusCode.Forbidden, TimeSpan.FromMinutes(40));

        Assert.Equal(TimeSpan.FromMinutes(40), InboxWorker.RetryDelay(1, settings, rateLimited));
        Assert.Equal(TimeSpan.FromMinutes(40), InboxWorker.RetryDelay(1, settings, new InvalidOperationException("wrapped", rateLimited)));
        Assert.Equal(TimeSpan.FromMinutes(65), InboxWorker.RetryDelay(1, settings,
            new CriticBot.GitHub.GitHubTransientException("x", null, TimeSpan.FromHours(5))));
        // A hint shorter than the backoff does not shorten it.
        Assert.InRange(InboxWorker.RetryDelay(4, settings, new CriticBot.GitHub.GitHubTransientException("x", null, TimeSpan.FromMilliseconds(1))),
            TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8));
    }

    [Theory]
    [InlineData("auth failed for ghs_16C7e42F292c6912E7710c838347Ae178B4a", "ghs_16C7e42F292c6912E7710c838347Ae178B4a")]
    [InlineData("401 with header Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig", "eyJhbGciOiJSUzI1NiJ9.payload.sig")]
    [InlineData("GET https://x-access-token:v1.abcdef0123456789@github.com/o/r.git failed", "v1.abcdef0123456789")]
    [InlineData("bad key sk-proj-ABCDEFGHIJKLMNOPQRSTUV", "sk-proj-ABCDEFGHIJKLMNOPQRSTUV")]
    [InlineData("config: client_secret=hunter2hunter2", "hunter2hunter2")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow")]
    public void Failure_reasons_never_carry_credentials(string message, string secret)
    {
        var reason = FailureReason.From(new InvalidOperationException(message));

        Assert.DoesNotContain(secret, reason, StringComparison.Ordinal);
        Assert.StartsWith("InvalidOperationException: ", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Failure_reasons_are_bounded_and_keep_ordinary_text()
    {
        Assert.Equal("HttpRequestException: 502 Bad Gateway", FailureReason.From(new HttpRequestException("502 Bad Gateway")));
        Assert.True(FailureReason.Redact(new string('x', 5000)).Length <= 1001);
    }
}
