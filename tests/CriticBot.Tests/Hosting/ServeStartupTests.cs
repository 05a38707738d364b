using CriticBot.Commands;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using CriticBot.Hosting;
using CriticBot.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Tests.Serve;

public sealed class ServeStartupTests : IDisposable
{
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private async Task<(int ExitCode, string Error)> RunServeAsync(Dictionary<string, string?> overrides)
    {
        var settings = TestService.DefaultSettings(_database, "secret");
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exitCode = await ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], stderr,
            builder => builder.Configuration.AddInMemoryCollection(settings), stop.Token);
        return (exitCode, stderr.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task Without_a_webhook_secret_serve_refuses_to_start_with_one_line_naming_it(string? secret)
    {
        var (exitCode, error) = await RunServeAsync(new() { ["GITHUB_WEBHOOK_SECRET"] = secret });

        Assert.Equal(2, exitCode);
        Assert.Contains("GITHUB_WEBHOOK_SECRET", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(_database.Path), "nothing may be created before the settings are valid");
    }

    [Theory]
    [InlineData("GITHUB_APP_ID", null, "GITHUB_APP_ID")]
    [InlineData("GITHUB_APP_ID", "twelve", "GITHUB_APP_ID")]
    [InlineData("GITHUB_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----", "GITHUB_PRIVATE_KEY")]
    [InlineData("GITHUB_PRIVATE_KEY", null, "GITHUB_PRIVATE_KEY")]
    [InlineData("GITHUB_API_URL", "not a url", "GITHUB_API_URL")]
    [InlineData("OPENAI_BASE_URL", "ftp://models.example", "OPENAI_BASE_URL")]
    [InlineData("OPENAI_BASE_URL", "http://models.example/v1", "OPENAI_BASE_URL is a plain http:// URL")]
    [InlineData("GITHUB_API_URL", "http://github.example/api/v3", "GITHUB_API_URL is a plain http:// URL")]
    [InlineData("CRITICBOT_ALLOW_INSECURE_HTTP", "maybe", "CRITICBOT_ALLOW_INSECURE_HTTP")]
    [InlineData("CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS", "0", "CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS")]
    [InlineData("CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES", "100000", "CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES")]
    [InlineData("CRITICBOT_WEBHOOK_BODY_TIMEOUT_SECONDS", "NaN", "CRITICBOT_WEBHOOK_BODY_TIMEOUT_SECONDS")]
    [InlineData("CRITICBOT_SAMPLES", "0", "CRITICBOT_SAMPLES")]
    [InlineData("CRITICBOT_ADAPTIVE_SAMPLING", "sometimes", "CRITICBOT_ADAPTIVE_SAMPLING must be true or false")]
    [InlineData("GitHub:MaxAttempts", "0", "GitHub:MaxAttempts")]
    public async Task A_missing_or_invalid_setting_refuses_to_start_with_one_line_naming_it(string setting, string? value, string named)
    {
        var (exitCode, error) = await RunServeAsync(new() { [setting] = value });

        Assert.Equal(2, exitCode);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("not a key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_in_a_missing_directory_is_refused_naming_the_setting()
    {
        var (exitCode, error) = await RunServeAsync(new() { ["CRITICBOT_DATABASE"] = Path.Combine(_database.Directory, "nope", "x.db") });

        Assert.Equal(2, exitCode);
        Assert.StartsWith("criticbot: CRITICBOT_DATABASE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_naming_the_setting()
    {
        await File.WriteAllTextAsync(_database.Path, "this is not a SQLite database, just some text that is long enough to matter. ".PadRight(4096, '.'));

        var (exitCode, error) = await RunServeAsync([]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("criticbot: CRITICBOT_DATABASE: cannot open or migrate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_inbox_settings_are_refused()
    {
        var (exitCode, error) = await RunServeAsync(new() { ["Inbox:MaxConcurrency"] = "0" });

        Assert.Equal(2, exitCode);
        Assert.Contains("MaxConcurrency", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_runs_until_cancelled_and_then_exits_cleanly()
    {
        var settings = TestService.DefaultSettings(_database, "secret");
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], TextWriter.Null, builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddHostedService(_ => new StartedSignal(started));
        }, stop.Token);

        // Started (every hosted service, the web server included) and still running until asked to stop.
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_host_watches_no_files()
    {
        await using var service = await TestService.StartAsync(_database);
        var configuration = (IConfigurationRoot)service.Services.GetService(typeof(IConfiguration))!;

        var jsonSources = configuration.Providers.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider>().ToList();
        Assert.NotEmpty(jsonSources);
        Assert.All(jsonSources, provider => Assert.False(provider.Source.ReloadOnChange));
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readiness_answers_503_when_the_database_cannot_be_opened()
    {
        await using var service = await TestService.StartAsync(_database);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz")).StatusCode);

        // The file and its directory vanish (a lost volume): new connections cannot open it.
        SqliteConnection.ClearAllPools();
        Directory.Delete(_database.Directory, recursive: true);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await service.Client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>Signals once the host has started every hosted service.</summary>
    private sealed class StartedSignal(TaskCompletionSource started) : Microsoft.Extensions.Hosting.IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken)
        {
            started.TrySetResult();
            return Task.CompletedTask;
        }

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
