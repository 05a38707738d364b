using System.Net;
using System.Text.Json;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>What the real `criticbot serve` process writes while it reviews: structured, traceable, no secrets.</summary>
public sealed class ServiceLogTests
{
    [Fact]
    public async Task Logs_carry_the_delivery_repository_and_pull_request_and_never_a_secret()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        const string secret = "log-test-webhook-secret-0123456789";
        var environment = h.ServiceSettings();
        environment["GITHUB_WEBHOOK_SECRET"] = secret;
        environment["CRITICBOT_DATABASE"] = h.Database.Path;
        environment["OPENAI_API_KEY"] = "sk-log-test-key-abcdef0123456789";
        environment["Serilog:MinimumLevel:Default"] = "Information";

        var deliveryId = Guid.NewGuid().ToString();
        await using var server = await ServerProcess.StartAsync(environment);
        using (var response = await server.SendAsync("pull_request",
            GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), deliveryId, secret))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!server.Output.Contains("Posted review", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no review was logged:\n" + server.Output);
            await Task.Delay(100);
        }

        var events = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        var posted = Assert.Single(events, e => e.GetProperty("@m").GetString()!.StartsWith("Posted review", StringComparison.Ordinal));
        Assert.Equal(deliveryId, posted.GetProperty("DeliveryId").GetString());
        Assert.Equal(ReviewHarness.Repository, posted.GetProperty("Repository").GetString());
        Assert.Equal(ReviewHarness.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), posted.GetProperty("PullRequest").ToString());

        // Nothing secret, ever: not the webhook secret, the model key, the App key, a JWT or an installation token.
        var output = server.Output;
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-log-test-key", output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", output, StringComparison.Ordinal);
        Assert.DoesNotContain(h.PrivateKey.Split('\n')[1], output, StringComparison.Ordinal);
        Assert.DoesNotContain("ghs_", output, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", output, StringComparison.Ordinal);
    }
}
