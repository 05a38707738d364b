using System.Text;
using CriticBot.Commands;
using CriticBot.Engine.Critic;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary><c>criticbot forget --repo OWNER/NAME</c> through the real command line on a real SQLite file.</summary>
public sealed class ForgetCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => RunOnAsync(_database.Path, args);

    private static async Task<(int Exit, string Out, string Err)> RunOnAsync(string database, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(args, stdout, stderr, environment: new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = database });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>One delivery and one posted review with its research records; the prompt may be shared.</summary>
    private static async Task SeedAsync(CriticBotStore store, string repository, string prompt)
    {
        await store.TryAddDeliveryAsync(new NewDelivery
        {
            DeliveryId = Guid.NewGuid().ToString(),
            Event = "pull_request",
            Action = "opened",
            InstallationId = 9,
            RepositoryFullName = repository,
            PullRequest = 1,
            Body = Encoding.UTF8.GetBytes("{}"),
            ReceivedAt = T0,
        }, default);
        var claim = (ReviewClaim.Claimed)await store.ClaimReviewAsync(new ReviewKey(repository, 1, "head"), "base", "w", TimeSpan.FromMinutes(1), T0, default);
        await store.RecordReviewOutcomeAsync(new ReviewOutcome
        {
            ReviewId = claim.ReviewId,
            Status = ReviewStatus.Posted,
            GitHubReviewId = 1,
            FinishedAt = T0,
            Prompts = [new PromptRow(prompt, "s", "u")],
            ModelCalls =
            [
                new ModelCallRecord
                {
                    ChunkIndex = 0, SampleIndex = 0, Attempt = 0, PromptSha256 = prompt, Temperature = 0.8f, MaxOutputTokens = 10,
                    StartedAt = T0, Latency = TimeSpan.FromSeconds(1), Completion = "{}", Outcome = ModelCallOutcome.Parsed,
                },
            ],
            Candidates =
            [
                new ResearchCandidateRow
                {
                    CandidateIndex = 0, ChunkIndex = 0, SampleIndex = 0, Attempt = 0, Position = 0, PromptSha256 = prompt, ModelPath = "a",
                    Quote = "q", Severity = "bug", Body = "b", ReasonCode = CandidateReason.QuoteNotFound, Reason = "r", Posted = false,
                },
            ],
            Comments = [new PostedCommentRow { GitHubCommentId = 7, Path = "a", Line = 1, Side = "RIGHT", Quote = "q", Body = "b", Fingerprint = "f" }],
        }, default);
    }

    [Fact]
    public async Task Forget_deletes_one_repositorys_data_prints_counts_and_keeps_the_others()
    {
        await using (var store = CriticBotStore.Open(_database.Path))
        {
            await store.MigrateAsync(default);
            await SeedAsync(store, "octo-org/widgets", "own-prompt");
            await SeedAsync(store, "octo-org/gadgets", "shared-prompt");
            await SeedAsync(store, "octo-org/gadgets-2", "shared-prompt");
        }

        // Repository names are case-insensitive on GitHub.
        var (exit, output, error) = await RunAsync("forget", "--repo", "Octo-Org/Widgets");

        Assert.Equal((ExitCodes.Success, ""), (exit, error));
        Assert.Equal("forgot Octo-Org/Widgets: 1 deliveries, 1 reviews, 1 candidates, 1 model calls, 1 comments, 1 prompts\n", output.ReplaceLineEndings("\n"));
        await using var check = CriticBotStore.Open(_database.Path);
        Assert.Null(await check.GetReviewAsync(new ReviewKey("octo-org/widgets", 1, "head"), default));
        Assert.Null(await check.GetPromptAsync("own-prompt", default));
        Assert.Equal(["octo-org/gadgets", "octo-org/gadgets-2"], await check.GetRepositoriesOfInstallationAsync(9, default));

        // A prompt another repository still uses outlives the first forget.
        Assert.Equal(ExitCodes.Success, (await RunAsync("forget", "--repo", "octo-org/gadgets")).Exit);
        Assert.NotNull(await check.GetPromptAsync("shared-prompt", default));
        var last = await RunAsync("forget", "--repo", "octo-org/gadgets-2");
        Assert.EndsWith("1 prompts\n", last.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Null(await check.GetPromptAsync("shared-prompt", default));

        // Again: nothing left, still a success.
        Assert.Equal((ExitCodes.Success, "forgot octo-org/gadgets: 0 deliveries, 0 reviews, 0 candidates, 0 model calls, 0 comments, 0 prompts\n"),
            ((await RunAsync("forget", "--repo", "octo-org/gadgets")).Exit, (await RunAsync("forget", "--repo", "octo-org/gadgets")).Out.ReplaceLineEndings("\n")));
    }

    [Theory]
    [InlineData("widgets")]
    [InlineData("octo-org/widgets/extra")]
    [InlineData("octo org/widgets")]
    [InlineData("octo-org/wid'gets; DROP TABLE reviews")]
    public async Task A_name_that_is_not_owner_slash_name_is_bad_usage(string repository)
    {
        var (exit, output, error) = await RunAsync("forget", "--repo", repository);

        Assert.Equal((ExitCodes.Usage, ""), (exit, output));
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("OWNER/NAME", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_repo_option_or_database_is_bad_usage_and_creates_no_file()
    {
        Assert.Equal(ExitCodes.Usage, (await RunAsync("forget")).Exit);

        var (exit, _, error) = await RunAsync("forget", "--repo", "octo-org/widgets");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("no database", error, StringComparison.Ordinal);
        Assert.False(File.Exists(_database.Path));
    }

    [Fact]
    public async Task Forget_works_the_same_on_postgresql()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        await using (var store = CriticBotStore.Open(database))
        {
            await store.MigrateAsync(default);
            await SeedAsync(store, "octo-org/widgets", "pg-prompt");
            await SeedAsync(store, "octo-org/gadgets", "pg-other");
        }

        var (exit, output, error) = await RunOnAsync(database, "forget", "--repo", "octo-org/WIDGETS");

        Assert.Equal((ExitCodes.Success, ""), (exit, error));
        Assert.Equal("forgot octo-org/WIDGETS: 1 deliveries, 1 reviews, 1 candidates, 1 model calls, 1 comments, 1 prompts\n", output.ReplaceLineEndings("\n"));
        Assert.DoesNotContain(server.Password, output + error, StringComparison.Ordinal);
        await using var check = CriticBotStore.Open(database);
        Assert.Equal(["octo-org/gadgets"], await check.GetRepositoriesOfInstallationAsync(9, default));
        Assert.NotNull(await check.GetPromptAsync("pg-other", default));
    }

    [Fact]
    public async Task Db_copy_moves_the_research_records_to_postgresql_unchanged()
    {
        long reviewId;
        await using (var store = CriticBotStore.Open(_database.Path))
        {
            await store.MigrateAsync(default);
            await SeedAsync(store, "octo-org/widgets", "copied-prompt");
            reviewId = (await store.GetReviewAsync(new ReviewKey("octo-org/widgets", 1, "head"), default))!.Id;
        }

        var target = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        var (exit, _, error) = await RunAsync("db", "copy", "--from", _database.Path, "--to", target);

        Assert.Equal((ExitCodes.Success, ""), (exit, error));
        await using var source = CriticBotStore.Open(_database.Path);
        await using var copy = CriticBotStore.Open(target);
        Assert.Equal(await source.GetModelCallsAsync(reviewId, default), await copy.GetModelCallsAsync(reviewId, default));
        Assert.Equal(await source.GetResearchCandidatesAsync(reviewId, default), await copy.GetResearchCandidatesAsync(reviewId, default));
        Assert.Equal(await source.GetPostedCommentsAsync(reviewId, default), await copy.GetPostedCommentsAsync(reviewId, default));
        Assert.NotEmpty(await copy.GetResearchCandidatesAsync(reviewId, default));
    }
}
