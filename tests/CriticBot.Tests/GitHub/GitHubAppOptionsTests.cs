using System.Security.Cryptography;
using CriticBot.GitHub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.GitHub;

public sealed class GitHubAppOptionsTests
{
    private static readonly string Pkcs1 = CreateKey(pkcs8: false);

    private static string CreateKey(bool pkcs8)
    {
        using var rsa = RSA.Create(2048);
        return pkcs8 ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem();
    }

    private static IConfiguration Settings(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build();

    [Fact]
    public void Inline_pkcs1_key_with_escaped_newlines_and_default_api_url_load()
    {
        var options = GitHubAppOptions.Load(Settings(("GITHUB_APP_ID", "123"), ("GITHUB_PRIVATE_KEY", Pkcs1.Replace("\n", "\\n", StringComparison.Ordinal))));

        Assert.Equal(123, options.AppId);
        Assert.Equal(new Uri("https://api.github.com/"), options.ApiUrl);
        Assert.Contains("BEGIN RSA PRIVATE KEY", options.PrivateKeyPem, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs8_key_from_a_file_and_an_enterprise_url_load()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, CreateKey(pkcs8: true));
            var options = GitHubAppOptions.Load(Settings(("GITHUB_APP_ID", "9"), ("GITHUB_PRIVATE_KEY_PATH", path), ("GITHUB_API_URL", "https://ghe.example.com/api/v3")));

            Assert.Equal(GitHubAppOptions.PrivateKeyPathSetting, options.PrivateKeySource);
            Assert.Equal(new Uri("https://ghe.example.com/api/v3/"), GitHubAppOptions.ToBaseAddress(options.ApiUrl));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(null, "k", null, "GITHUB_APP_ID is not set")]
    [InlineData("abc", "k", null, "GITHUB_APP_ID must be a positive integer")]
    [InlineData("-4", "k", null, "GITHUB_APP_ID must be a positive integer")]
    [InlineData("5", null, null, "GITHUB_PRIVATE_KEY_PATH or GITHUB_PRIVATE_KEY must be set")]
    [InlineData("5", "not a key", null, "GITHUB_PRIVATE_KEY: not an RSA private key")]
    [InlineData("5", "k", "ftp://x", "GITHUB_API_URL must be an absolute http(s) URL")]
    [InlineData("5", "k", "api.github.com", "GITHUB_API_URL must be an absolute http(s) URL")]
    [InlineData("5", "k", "http://github.example.com/api/v3", "GITHUB_API_URL is a plain http:// URL to github.example.com, which is not loopback")]
    [InlineData("5", "k", "http://10.0.0.7/api/v3", "GITHUB_API_URL is a plain http:// URL")]
    public void Wrong_settings_give_one_line_naming_the_setting(string? appId, string? key, string? apiUrl, string expected)
    {
        var ok = GitHubAppOptions.TryLoad(
            Settings(("GITHUB_APP_ID", appId), ("GITHUB_PRIVATE_KEY", key == "k" ? Pkcs1 : key), ("GITHUB_API_URL", apiUrl)),
            out var options,
            out var error);

        Assert.False(ok);
        Assert.Null(options);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", error!, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY-----", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_key_file_and_public_key_are_reported_against_the_path_setting()
    {
        var missing = GitHubAppOptions.TryLoad(Settings(("GITHUB_APP_ID", "5"), ("GITHUB_PRIVATE_KEY_PATH", "/nonexistent/key.pem")), out _, out var missingError);
        var path = Path.GetTempFileName();
        try
        {
            using var rsa = RSA.Create(2048);
            File.WriteAllText(path, rsa.ExportRSAPublicKeyPem());
            var publicOnly = GitHubAppOptions.TryLoad(Settings(("GITHUB_APP_ID", "5"), ("GITHUB_PRIVATE_KEY_PATH", path)), out _, out var publicError);

            Assert.False(missing);
            Assert.StartsWith("GITHUB_PRIVATE_KEY_PATH: cannot read '/nonexistent/key.pem'", missingError, StringComparison.Ordinal);
            Assert.False(publicOnly);
            Assert.StartsWith("GITHUB_PRIVATE_KEY_PATH: not an RSA private key", publicError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Service_registration_resolves_the_gateway_and_the_publisher_and_fails_fast_on_bad_settings()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddGitHubApp(Settings(("GITHUB_APP_ID", "5"), ("GITHUB_PRIVATE_KEY", Pkcs1)), r => r.MinimumWriteInterval = TimeSpan.Zero);
        using var provider = services.BuildServiceProvider();

        Assert.IsType<GitHubGateway>(provider.GetRequiredService<IGitHubGateway>());
        Assert.NotNull(provider.GetRequiredService<ReviewPublisher>());
        Assert.Equal(TimeSpan.Zero, provider.GetRequiredService<GitHubResilienceOptions>().MinimumWriteInterval);
        var error = Assert.Throws<GitHubConfigurationException>(() => new ServiceCollection().AddGitHubApp(Settings(("GITHUB_PRIVATE_KEY", Pkcs1))));
        Assert.StartsWith("GITHUB_APP_ID", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme/widgets", "acme", "widgets")]
    [InlineData("a/b.c", "a", "b.c")]
    public void Repo_ref_parses_owner_and_name(string text, string owner, string name)
    {
        var repo = RepoRef.Parse(text);

        Assert.Equal(new RepoRef(owner, name), repo);
        Assert.Equal(text, repo.ToString());
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("/x")]
    [InlineData("x/")]
    [InlineData("a/b/c")]
    public void Repo_ref_rejects_malformed_names(string text) => Assert.Throws<FormatException>(() => RepoRef.Parse(text));

    [Theory]
    [InlineData("http://127.0.0.1:8080/api/v3", null)]
    [InlineData("http://localhost/api/v3", null)]
    [InlineData("http://[::1]:9000/", null)]
    [InlineData("https://github.example.com/api/v3", null)]
    [InlineData("http://github.example.com/api/v3", "true")]
    public void Plain_http_is_allowed_on_loopback_or_when_explicitly_allowed(string apiUrl, string? allowInsecure)
    {
        var ok = GitHubAppOptions.TryLoad(
            Settings(("GITHUB_APP_ID", "5"), ("GITHUB_PRIVATE_KEY", Pkcs1), ("GITHUB_API_URL", apiUrl), ("CRITICBOT_ALLOW_INSECURE_HTTP", allowInsecure)),
            out var options,
            out var error);

        Assert.True(ok, error);
        Assert.Equal(new Uri(apiUrl), options!.ApiUrl);
    }

    [Fact]
    public void The_insecure_switch_must_be_true_or_false()
    {
        var ok = GitHubAppOptions.TryLoad(
            Settings(("GITHUB_APP_ID", "5"), ("GITHUB_PRIVATE_KEY", Pkcs1), ("CRITICBOT_ALLOW_INSECURE_HTTP", "yes")), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith("CRITICBOT_ALLOW_INSECURE_HTTP must be true or false", error, StringComparison.Ordinal);
    }
}
