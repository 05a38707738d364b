using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CriticBot.GitHub;

namespace CriticBot.Tests.GitHub;

public sealed class GitHubAuthTests
{
    [Fact]
    public async Task App_jwt_is_accepted_and_the_installation_token_is_used_as_bearer()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, _, _) = harness.Product();

        var pull = await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);

        Assert.NotNull(pull);
        Assert.Equal("head1", pull.HeadSha);
        Assert.Equal("base1", pull.BaseSha);
        Assert.Equal("main", pull.BaseRef);
        Assert.Equal("open", pull.State);
        Assert.Equal("octocat", pull.AuthorLogin);
        Assert.False(pull.Draft);
        Assert.Equal(1, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
        var requests = harness.Simulator.Requests;
        Assert.Contains(requests, r => r.Path == $"/app/installations/{GitHubHarness.InstallationId}/access_tokens" && r.Status == 201);
        var get = Assert.Single(requests, r => r.Path == "/repos/acme/widgets/pulls/1");
        Assert.Equal("Bearer", get.AuthorizationScheme);
        Assert.Contains("CriticBot", get.UserAgent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_signed_with_the_wrong_key_is_rejected_with_401_and_a_permanent_error()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        using var otherKey = RSA.Create(2048);
        var (gateway, _, _) = harness.Product(harness.Options(pem: otherKey.ExportRSAPrivateKeyPem()));

        var error = await Assert.ThrowsAsync<GitHubRequestException>(() => gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("GITHUB_APP_ID", error.Message, StringComparison.Ordinal);
        Assert.Contains(harness.Simulator.Requests, r => r.Path.EndsWith("/access_tokens", StringComparison.Ordinal) && r.Status == 401);
        Assert.Equal(0, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task Unknown_installation_is_a_permanent_404()
    {
        await using var harness = await GitHubHarness.StartAsync();
        var (gateway, _, _) = harness.Product();

        var error = await Assert.ThrowsAsync<GitHubRequestException>(() => gateway.GetPullRequestAsync(999, GitHubHarness.Repo, 1));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Token_is_cached_and_fetched_once_by_concurrent_callers()
    {
        await using var harness = await GitHubHarness.StartAsync();
        var (_, tokens, _) = harness.Product();

        var all = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => tokens.GetTokenAsync(GitHubHarness.InstallationId).AsTask()));
        var again = await tokens.GetTokenAsync(GitHubHarness.InstallationId);

        Assert.Single(all.Distinct());
        Assert.Equal(all[0], again);
        Assert.Equal(1, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task Token_with_less_than_the_renewal_margin_left_is_renewed()
    {
        await using var harness = await GitHubHarness.StartAsync();
        // Four minutes is inside the five-minute margin: every use needs a fresh token.
        harness.Simulator.TokenLifetime = TimeSpan.FromMinutes(4);
        var (_, tokens, _) = harness.Product();

        var first = await tokens.GetTokenAsync(GitHubHarness.InstallationId);
        var second = await tokens.GetTokenAsync(GitHubHarness.InstallationId);

        Assert.NotEqual(first, second);
        Assert.Equal(2, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task An_expired_token_is_replaced_and_the_refused_request_sent_again()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, tokens, _) = harness.Product();
        var token = await tokens.GetTokenAsync(GitHubHarness.InstallationId);

        harness.Simulator.ExpireTokens();
        using var http = new HttpClient();
        using var raw = new HttpRequestMessage(HttpMethod.Get, new Uri(harness.Simulator.ApiUrl, "repos/acme/widgets/pulls/1"));
        raw.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        using var rawResponse = await http.SendAsync(raw);
        Assert.Equal(HttpStatusCode.Unauthorized, rawResponse.StatusCode);

        // The refused token is replaced and the same request sent again: the caller never sees the 401.
        var pull = await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);
        Assert.NotNull(pull);
        Assert.Equal(2, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task A_review_refused_for_a_revoked_token_is_posted_once_with_a_fresh_one()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, tokens, _) = harness.Product();
        await tokens.GetTokenAsync(GitHubHarness.InstallationId);
        harness.Simulator.ExpireTokens();

        await gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "One review.",
            Comments = [new DraftComment { Path = "src/Calculator.cs", Line = 11, Body = "Check this." }],
        });

        // The body went out again intact: one review, with its comment.
        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Equal("One review.", review.Body);
        Assert.Equal("Check this.", Assert.Single(review.Comments).Body);
        Assert.Equal(2, harness.Simulator.TokensIssued(GitHubHarness.InstallationId));
    }

    [Fact]
    public async Task Repository_outside_the_installation_is_404()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.Simulator.AddInstallation(88, "other", appId: GitHubHarness.AppId);
        harness.Simulator.AddRepository("other", "secret", 88);
        harness.Simulator.OpenPullRequest("other/secret", 5, "main", "b", "h", [Patches.CalculatorFile]);
        var (gateway, _, _) = harness.Product();
        var secret = new RepoRef("other", "secret");

        Assert.Null(await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, secret, 5));
        var error = await Assert.ThrowsAsync<GitHubRequestException>(() => gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, secret, 5));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        // The right installation sees it.
        Assert.NotNull(await gateway.GetPullRequestAsync(88, secret, 5));
    }

    [Fact]
    public async Task Request_without_credentials_is_401()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(harness.Simulator.ApiUrl, "repos/acme/widgets/pulls/1"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Jwt_with_expiry_too_far_ahead_is_rejected_by_the_simulator()
    {
        await using var harness = await GitHubHarness.StartAsync();
        using var key = RSA.Create();
        key.ImportFromPem(harness.PrivateKeyPem);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Encode(object value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var input = Encode(new { alg = "RS256", typ = "JWT" }) + "." + Encode(new { iat = now - 60, exp = now + 3600, iss = GitHubHarness.AppId });
        var signature = Convert.ToBase64String(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(harness.Simulator.ApiUrl, $"app/installations/{GitHubHarness.InstallationId}/access_tokens"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", input + "." + signature);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("too far in the future", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Product_jwt_has_rs256_header_backdated_iat_short_exp_and_the_app_id_as_issuer()
    {
        using var key = RSA.Create(2048);
        using var jwt = new GitHubAppJwt(123, key.ExportPkcs8PrivateKeyPem());
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        var token = jwt.Create(now);

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        static byte[] Decode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));
        using var header = JsonDocument.Parse(Decode(parts[0]));
        using var claims = JsonDocument.Parse(Decode(parts[1]));
        Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal(1_700_000_000 - 60, claims.RootElement.GetProperty("iat").GetInt64());
        Assert.InRange(claims.RootElement.GetProperty("exp").GetInt64(), 1_700_000_001, 1_700_000_000 + 600);
        Assert.Equal(123, claims.RootElement.GetProperty("iss").GetInt64());
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }
}
