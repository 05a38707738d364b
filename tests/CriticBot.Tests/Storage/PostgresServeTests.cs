using CriticBot.Commands;
using System.Net;
using CriticBot.Hosting;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.Storage;

/// <summary>`criticbot serve` with CRITICBOT_DATABASE naming a PostgreSQL database.</summary>
public sealed class PostgresServeTests : IDisposable
{
    private readonly TestDatabase _unused = new();

    public void Dispose() => _unused.Dispose();

    [Fact]
    public async Task Serve_on_a_postgres_url_migrates_stores_and_handles_deliveries()
    {
        var server = await PostgresServer.SharedAsync();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync()).Database!;
        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(_unused, handler,
            new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = server.Url(database) });

        var deliveryId = Guid.NewGuid().ToString();
        using var response = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", "o/r", number: 3), deliveryId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(("scripted", 3), (record.Outcome, record.PullRequest));
        Assert.Equal(DatabaseKind.PostgreSql, service.Services.GetRequiredService<CriticBotStore>().Kind);
        Assert.False(File.Exists(_unused.Path), "the SQLite default must not be created when PostgreSQL is configured");
        using var ready = await service.Client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_refuses_to_start_with_one_line_that_does_not_repeat_it()
    {
        var server = await PostgresServer.SharedAsync();
        var setting = $"Host=127.0.0.1;Port={server.Port};Database=postgres;Username={PostgresServer.User};Password=wrong-horse-battery";

        var (exitCode, error) = await RunServeAsync(setting);

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"criticbot: CRITICBOT_DATABASE: cannot open or migrate postgresql://{PostgresServer.User}@127.0.0.1:{server.Port}/postgres", error, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-horse-battery", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_unreachable_server_refuses_to_start_naming_the_setting()
    {
        var (exitCode, error) = await RunServeAsync("postgres://bot:not-to-be-seen@127.0.0.1:9/critic?Timeout=2");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("criticbot: CRITICBOT_DATABASE: cannot open or migrate postgresql://bot@127.0.0.1:9/critic", error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-to-be-seen", error, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Error)> RunServeAsync(string database)
    {
        var settings = TestService.DefaultSettings(_unused, "secret");
        settings["CRITICBOT_DATABASE"] = database;
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exitCode = await ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], stderr,
            builder => builder.Configuration.AddInMemoryCollection(settings), stop.Token);
        return (exitCode, stderr.ToString());
    }
}
