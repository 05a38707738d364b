using System.Text;
using CriticBot.Commands;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>`criticbot db migrate` and `criticbot db copy`, through the real command line.</summary>
public sealed class DbCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly TestDatabase _sqlite = new();

    public void Dispose() => _sqlite.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] args, Dictionary<string, string?>? environment = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await CriticBotCli.RunAsync(args, stdout, stderr, environment: environment ?? []);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Migrate_applies_the_schema_once_on_sqlite()
    {
        var first = await RunAsync(["db", "migrate", "--database", _sqlite.Path]);
        var second = await RunAsync(["db", "migrate", "--database", _sqlite.Path]);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal($"{_sqlite.Path}: schema version {CriticBotStore.LatestSchemaVersion} ({Migrations.All.Count} migration(s) applied)", first.Output.Trim());
        Assert.EndsWith("(0 migration(s) applied)", second.Output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_reads_CRITICBOT_DATABASE_and_never_prints_the_password()
    {
        var server = await PostgresServer.SharedAsync();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync()).Database!;

        var (exitCode, output, error) = await RunAsync(["db", "migrate"], new() { ["CRITICBOT_DATABASE"] = server.Url(database) });

        Assert.Equal((0, ""), (exitCode, error));
        Assert.StartsWith($"postgresql://{PostgresServer.User}@127.0.0.1:{server.Port}/{database}: schema version", output, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from", "Host=h;Database=d", "--from must be an existing SQLite file")]
    [InlineData("--to", "elsewhere.db", "--to must be a PostgreSQL connection string")]
    [InlineData("--to", "postgres://u:hidden-pw@h:5432/", "--to: the PostgreSQL connection names no database")]
    public async Task Copy_refuses_the_wrong_kind_of_database_as_usage(string option, string value, string expected)
    {
        await using (var store = CriticBotStore.Open(_sqlite.Path))
        {
            await store.MigrateAsync(default);
        }

        string[] args = option == "--from"
            ? ["db", "copy", "--from", value, "--to", "Host=h;Database=d"]
            : ["db", "copy", "--from", _sqlite.Path, "--to", value];
        var (exitCode, _, error) = await RunAsync(args);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-pw", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_moves_every_record_to_postgres_keeps_working_there_and_resumes_idempotently()
    {
        var server = await PostgresServer.SharedAsync();
        var target = await server.CreateDatabaseAsync();
        long reviewId;
        await using (var sqlite = CriticBotStore.Open(_sqlite.Path))
        {
            await sqlite.MigrateAsync(default);
            reviewId = await SeedAsync(sqlite);
        }

        var first = await RunAsync(["db", "copy", "--from", _sqlite.Path, "--to", target]);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Contains("deliveries: 3 copied, 0 updated, 0 unchanged", first.Output, StringComparison.Ordinal);
        Assert.Contains("candidates: 2 copied, 0 updated, 0 unchanged", first.Output, StringComparison.Ordinal);
        Assert.Contains("done: 10 copied, 0 updated, 0 unchanged", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, first.Output, StringComparison.Ordinal);

        // The old service kept running meanwhile: one more delivery, and the pending one was handled. The second
        // run (after stopping it) copies the new row, brings the changed one up to date and leaves the rest.
        await using (var sqlite = CriticBotStore.Open(_sqlite.Path))
        {
            await sqlite.TryAddDeliveryAsync(Delivery("d-late", "{\"late\":true}"), default);
            var pending = await sqlite.ClaimNextDeliveryAsync("w", TimeSpan.FromMinutes(1), T0, default);
            Assert.Equal("d-pending", pending!.DeliveryId);
            await sqlite.CompleteDeliveryAsync(pending.Id, "handled", default);
        }

        var second = await RunAsync(["db", "copy", "--from", _sqlite.Path, "--to", target]);
        Assert.Equal((0, ""), (second.ExitCode, second.Error));
        Assert.True(second.Output.Contains("deliveries: 1 copied, 1 updated, 2 unchanged", StringComparison.Ordinal), second.Output);
        Assert.Contains("done: 1 copied, 1 updated, 9 unchanged", second.Output, StringComparison.Ordinal);

        await using (var postgres = CriticBotStore.Open(target))
        {
            var failed = await postgres.GetDeliveryAsync("d-failed", default);
            Assert.Equal((DeliveryStatus.Failed, "bad payload", 1), (failed!.Status, failed.LastError, failed.Attempts));
            Assert.Equal((DeliveryStatus.Done, "handled"), ((await postgres.GetDeliveryAsync("d-pending", default))!.Status, (await postgres.GetDeliveryAsync("d-pending", default))!.Outcome));
            var late = await postgres.ClaimNextDeliveryAsync("w", TimeSpan.FromMinutes(1), T0.AddDays(1), default);
            Assert.Equal(("d-late", "{\"late\":true}"), (late!.DeliveryId, late.Body));
            var review = await postgres.GetReviewAsync(new ReviewKey("o/r", 5, "head"), default);
            Assert.Equal((reviewId, ReviewStatus.Posted, 42L), (review!.Id, review.Status, review.GitHubReviewId));
            Assert.Equal(2, (await postgres.GetCandidatesAsync(reviewId, default)).Count);
            Assert.Equal(0.75, (await postgres.GetCandidatesAsync(reviewId, default))[0].Score);
            Assert.Equal("system", (await postgres.GetPromptAsync("sha", default))!.System);
            Assert.Equal(new HashSet<string> { "fp1" }, (await postgres.GetPostedFingerprintsAsync("o/r", 5, default)).ToHashSet());
            Assert.Equal("octo", (await postgres.GetInstallationAsync(9, default))!.Account);

            // The ids the database assigns next come after the copied ones.
            var next = Assert.IsType<ReviewClaim.Claimed>(await postgres.ClaimReviewAsync(new ReviewKey("o/r", 6, "h2"), "b", "w", TimeSpan.FromMinutes(1), T0, default));
            Assert.True(next.ReviewId > reviewId);
        }

    }

    [Fact]
    public async Task Copy_into_a_database_with_other_history_stops_instead_of_mixing_them()
    {
        var server = await PostgresServer.SharedAsync();
        var target = await server.CreateDatabaseAsync();
        await using (var sqlite = CriticBotStore.Open(_sqlite.Path))
        {
            await sqlite.MigrateAsync(default);
            await sqlite.TryAddDeliveryAsync(Delivery("from-sqlite"), default);
        }

        await using (var postgres = CriticBotStore.Open(target))
        {
            await postgres.MigrateAsync(default);
            await postgres.TryAddDeliveryAsync(Delivery("already-live"), default);
        }

        var (exitCode, _, error) = await RunAsync(["db", "copy", "--from", _sqlite.Path, "--to", target]);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("already holds a different record under id 1", error, StringComparison.Ordinal);
        await using var check = CriticBotStore.Open(target);
        Assert.Null(await check.GetDeliveryAsync("from-sqlite", default));
    }

    private static NewDelivery Delivery(string id, string body = "{}") => new()
    {
        DeliveryId = id,
        Event = "pull_request",
        Action = "opened",
        InstallationId = 9,
        RepositoryFullName = "o/r",
        PullRequest = 5,
        Body = Encoding.UTF8.GetBytes(body),
        ReceivedAt = T0,
    };

    /// <summary>One of everything: a done, a failed and a pending delivery, an installation, a posted review with research rows.</summary>
    private static async Task<long> SeedAsync(CriticBotStore store)
    {
        var lease = TimeSpan.FromMinutes(1);
        await store.TryAddDeliveryAsync(Delivery("d-done"), default);
        await store.CompleteDeliveryAsync((await store.ClaimNextDeliveryAsync("w", lease, T0, default))!.Id, "handled", default);
        await store.TryAddDeliveryAsync(Delivery("d-failed"), default);
        await store.FailDeliveryAsync((await store.ClaimNextDeliveryAsync("w", lease, T0, default))!.Id, "bad payload", default);
        await store.TryAddDeliveryAsync(Delivery("d-pending", "{\"n\":\"ünïcødé\"}"), default);
        await store.RecordInstallationAsync(9, "octo", "installation.created", default);

        var claim = Assert.IsType<ReviewClaim.Claimed>(await store.ClaimReviewAsync(new ReviewKey("o/r", 5, "head"), "base", "w", lease, T0, default));
        await store.SavePromptsAsync(claim.ReviewId, [new PromptRow("sha", "system", "user")], default);
        await store.SaveCandidatesAsync(claim.ReviewId,
        [
            new CandidateRow { ChunkIndex = 0, SampleIndex = 0, PromptSha256 = "sha", Quote = "q", Body = "b", Decision = "kept", Score = 0.75, Posted = true },
            new CandidateRow { ChunkIndex = 0, SampleIndex = 1, PromptSha256 = "sha", Quote = "q2", Body = "b2", Decision = "ungrounded", Posted = false },
        ], default);
        await store.SavePostedCommentsAsync(claim.ReviewId,
            [new PostedCommentRow { GitHubCommentId = 7, Path = "a.cs", Line = 1, Side = "RIGHT", Quote = "q", Body = "b", Fingerprint = "fp1" }], default);
        await store.MarkReviewPostedAsync(claim.ReviewId, 42, "{}", default);
        return claim.ReviewId;
    }
}
