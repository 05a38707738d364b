using CriticBot.Commands;
using CriticBot.Feedback;
using CriticBot.Hosting;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Tests.Feedback;

public sealed class FeedbackSettingsAndStatsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(FeedbackOptions.PollSecondsSetting, "0")]
    [InlineData(FeedbackOptions.PollSecondsSetting, "soon")]
    [InlineData(FeedbackOptions.DaysAfterCloseSetting, "-1")]
    [InlineData("Feedback:RateLimitShare", "1.5")]
    public async Task A_bad_feedback_setting_stops_serve_with_one_line_naming_it(string setting, string value)
    {
        var settings = TestService.DefaultSettings(_database, "secret");
        settings[setting] = value;
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var exitCode = await ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], stderr,
            builder => builder.Configuration.AddInMemoryCollection(settings), stop.Token);

        Assert.Equal(2, exitCode);
        Assert.Contains(setting, stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private async Task SeedAsync()
    {
        await using var store = CriticBotStore.Open(_database.Path);
        await store.MigrateAsync(default);
        foreach (var (repository, at) in new[] { ("o/one", T0), ("o/two", T0.AddDays(10)) })
        {
            var claim = await store.ClaimReviewAsync(new ReviewKey(repository, 1, "h"), "b", "w", TimeSpan.FromMinutes(1), at, default);
            var reviewId = Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
            await store.RecordReviewOutcomeAsync(new ReviewOutcome
            {
                ReviewId = reviewId, Status = ReviewStatus.Posted, GitHubReviewId = 5, SummaryJson = "{\"precision\":0.7}", FinishedAt = at,
                Comments =
                [
                    new PostedCommentRow { GitHubCommentId = 11, Path = "a.cs", Line = 1, Side = "RIGHT", Quote = "q1", Body = "b", Fingerprint = "f1" },
                    new PostedCommentRow { GitHubCommentId = 12, Path = "a.cs", Line = 2, Side = "RIGHT", Quote = "q2", Body = "b", Fingerprint = "f2" },
                ],
            }, default);
            FeedbackEvent Signal(string key, FeedbackKind kind, string fingerprint, FeedbackValue? value = null, long? reaction = null) => new()
            {
                SourceKey = repository + key, Repository = repository, PullRequest = 1, Kind = kind, Value = value, OccurredAt = at,
                ReviewId = reviewId, Fingerprint = fingerprint, GitHubReactionId = reaction,
            };
            await store.AppendAsync(Signal("r1", FeedbackKind.Reaction, "f1", FeedbackValue.Negative, 1), at, default);
            await store.AppendAsync(Signal("c1", FeedbackKind.CommandGood, "f1", FeedbackValue.Positive), at, default);
            await store.AppendAsync(Signal("r2", FeedbackKind.Reaction, "f2", FeedbackValue.Positive, 2), at, default);
            await store.AppendAsync(Signal("r2x", FeedbackKind.ReactionRetracted, "f2", FeedbackValue.Positive, 2), at, default);
            await store.AppendAsync(Signal("a2", FeedbackKind.Addressed, "f2"), at, default);
            await store.AppendAsync(Signal("m", FeedbackKind.MissedBug, "f2") with { ReviewId = null, Fingerprint = null }, at, default);
        }
    }

    private async Task<(int Code, string Out, string Error)> StatsAsync(string? repo, string? since, string format = "text")
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await StatsCommand.RunAsync(repo, since, format, new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = _database.Path }, stdout, stderr, default);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Stats_count_the_latest_rating_skip_retracted_reactions_and_filter_by_repository_and_date()
    {
        await SeedAsync();

        var (code, text, _) = await StatsAsync("o/one", null);
        Assert.Equal(0, code);
        Assert.Contains("o/one: 1 missed bug(s) reported", text, StringComparison.Ordinal);
        // Two posted, one rated (the good command overrides the earlier thumbs-down; the retracted one is gone), half addressed.
        Assert.Contains("unknown              2      1      100%        0%       0%        50%", text, StringComparison.Ordinal);
        Assert.Contains("precision 0.7        2      1      100%", text, StringComparison.Ordinal);
        Assert.DoesNotContain("o/two", text, StringComparison.Ordinal);

        var (_, json, _) = await StatsAsync(null, "2026-05-05", "json");
        Assert.DoesNotContain("o/one", json, StringComparison.Ordinal);
        Assert.Contains("\"repository\": \"o/two\"", json, StringComparison.Ordinal);
        Assert.Contains("\"addressed_share\": 0.5", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-repo", null)]
    [InlineData(null, "yesterday-ish")]
    public async Task Bad_stats_arguments_exit_2_with_one_line(string? repo, string? since)
    {
        await SeedAsync();
        var (code, _, error) = await StatsAsync(repo, since);
        Assert.Equal(2, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Stats_on_a_missing_database_exit_2()
    {
        var (code, _, error) = await StatsAsync(null, null);
        Assert.Equal(2, code);
        Assert.Contains("no database", error, StringComparison.Ordinal);
    }
}
