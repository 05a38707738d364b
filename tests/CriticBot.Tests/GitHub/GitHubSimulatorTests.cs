using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace CriticBot.Tests.GitHub;

/// <summary>The simulator's own GitHub rules, checked over raw HTTP (so a product bug cannot hide a simulator bug).</summary>
public sealed class GitHubSimulatorTests
{
    private static async Task<HttpClient> ClientAsync(GitHubHarness harness)
    {
        var (_, tokens, _) = harness.Product();
        var token = await tokens.GetTokenAsync(GitHubHarness.InstallationId);
        var http = new HttpClient { BaseAddress = harness.Simulator.ApiUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        return http;
    }

    [Fact]
    public async Task Files_are_paged_30_by_default_at_most_100_with_next_and_last_links()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(2, Enumerable.Range(0, 250).Select(i => Patches.Added($"f{i}", 1)).ToArray());
        using var http = await ClientAsync(harness);

        using var byDefault = await http.GetAsync(new Uri("repos/acme/widgets/pulls/2/files", UriKind.Relative));
        using var capped = await http.GetAsync(new Uri("repos/acme/widgets/pulls/2/files?per_page=500&page=2", UriKind.Relative));

        using var first = JsonDocument.Parse(await byDefault.Content.ReadAsStringAsync());
        using var second = JsonDocument.Parse(await capped.Content.ReadAsStringAsync());
        Assert.Equal(30, first.RootElement.GetArrayLength());
        Assert.Equal(100, second.RootElement.GetArrayLength());
        Assert.Equal("f100", second.RootElement[0].GetProperty("filename").GetString());
        var link = capped.Headers.GetValues("Link").Single();
        var port = harness.Simulator.ApiUrl.Port;
        Assert.Contains($"<http://127.0.0.1:{port}/repos/acme/widgets/pulls/2/files?per_page=100&page=3>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("page=3>; rel=\"last\"", link, StringComparison.Ordinal);
        Assert.Contains("page=1>; rel=\"prev\"", link, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_response_carries_rate_limit_headers()
    {
        await using var harness = await GitHubHarness.StartAsync();
        using var http = await ClientAsync(harness);

        using var notFound = await http.GetAsync(new Uri("repos/acme/widgets/pulls/404", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("5000", notFound.Headers.GetValues("x-ratelimit-limit").Single());
        Assert.True(int.Parse(notFound.Headers.GetValues("x-ratelimit-remaining").Single(), System.Globalization.CultureInfo.InvariantCulture) < 5000);
        Assert.True(long.Parse(notFound.Headers.GetValues("x-ratelimit-reset").Single(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("""{"path":"src/Calculator.cs","line":11,"side":"LEFT","body":"b"}""", true)]
    [InlineData("""{"path":"src/Calculator.cs","line":12,"side":"LEFT","body":"b"}""", true)]
    [InlineData("""{"path":"src/Calculator.cs","line":13,"side":"LEFT","body":"b"}""", true)]
    [InlineData("""{"path":"src/Calculator.cs","line":14,"side":"LEFT","body":"b"}""", false)]
    [InlineData("""{"path":"src/Calculator.cs","line":14,"body":"b"}""", true)]
    [InlineData("""{"path":"src/Calculator.cs","line":12,"start_line":11,"start_side":"LEFT","side":"RIGHT","body":"b"}""", true)]
    [InlineData("""{"path":"src/Calculator.cs","line":42,"start_line":14,"body":"b"}""", false)]
    [InlineData("""{"path":"src/Calculator.cs","line":12,"start_line":12,"body":"b"}""", false)]
    [InlineData("""{"path":"src/Nope.cs","line":1,"body":"b"}""", false)]
    public async Task Review_comments_are_checked_against_the_patch(string comment, bool accepted)
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        using var http = await ClientAsync(harness);
        using var content = new StringContent($$"""{"commit_id":"head1","event":"COMMENT","body":"x","comments":[{{comment}}]}""", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri("repos/acme/widgets/pulls/1/reviews", UriKind.Relative), content);

        Assert.Equal(accepted ? HttpStatusCode.OK : HttpStatusCode.UnprocessableEntity, response.StatusCode);
        if (!accepted)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Unprocessable Entity", body.RootElement.GetProperty("message").GetString());
            Assert.Equal(JsonValueKind.String, body.RootElement.GetProperty("errors")[0].ValueKind);
            Assert.StartsWith("https://docs.github.com/", body.RootElement.GetProperty("documentation_url").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Malformed_json_is_400_and_nothing_is_stored()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        using var http = await ClientAsync(harness);
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri("repos/acme/widgets/pulls/1/reviews", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
    }
}
