using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.GitHub;
using CriticBot.Reviews;
using CriticBot.Testing.Rendering;

namespace CriticBot.Tests.Reviews;

public sealed class ReviewBodyTests
{
    private static ReviewReport Report(params SkippedFile[] skipped) => new()
    {
        HeadSha = "0123456789abcdef0123456789abcdef01234567",
        FilesReviewed = 2,
        CommentsPosted = 1,
        SkippedFiles = skipped,
        Dropped = new DroppedCounts { Ungrounded = 2, BelowThreshold = 1, Duplicates = 3 },
        AlreadyPosted = 1,
        Truncations = ["src/big.cs: hunk at +120 split into 3 pieces"],
        ConfigProblems = [".github/criticbot.yml: unknown setting '<img src=x onerror=alert(1)>' ignored"],
        Usage = new ReviewUsage { Calls = 3, PromptTokens = 900, CompletionTokens = 120, FailedSamples = 1 },
        Precision = 0.5,
        MaxComments = 10,
        Samples = 3,
    };

    [Theory]
    [InlineData(new int[0], "3 duplicates merged across 3 samples")]
    [InlineData(new[] { 3, 3 }, "3 duplicates merged across 3 samples")]
    [InlineData(new[] { 2, 2 }, "3 duplicates merged across 2 samples a chunk")]
    [InlineData(new[] { 2, 3, 1 }, "3 duplicates merged across 1-3 samples a chunk")]
    public void Duplicates_are_said_to_be_merged_across_the_samples_really_drawn(int[] drawn, string expected)
    {
        Assert.Contains(expected, ReviewBody.Write(Report() with { SamplesDrawn = drawn }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_body_reports_cached_prompt_tokens_and_the_cost_when_priced()
    {
        var report = Report() with { Usage = new ReviewUsage { Calls = 3, PromptTokens = 900, CachedPromptTokens = 640, CompletionTokens = 120, EstimatedCostUsd = 0.0036m, CostUsd = 0.00123m } };
        var body = ReviewBody.Write(report);
        Assert.Contains("900 prompt (640 cached) and 120 completion tokens", body, StringComparison.Ordinal);
        Assert.Contains("Model cost: $0.0012 at the configured prices (estimated before sending: $0.0036)", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Model cost", ReviewBody.Write(Report()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_body_says_what_was_reviewed_skipped_and_dropped_and_ends_with_the_head_marker()
    {
        var body = ReviewBody.Write(Report(new SkippedFile("yarn.lock", "lockfile")));

        Assert.Contains("reviewed 2 files at `0123456`", body, StringComparison.Ordinal);
        Assert.Contains("`yarn.lock` (lockfile)", body, StringComparison.Ordinal);
        Assert.Contains("2 ungrounded", body, StringComparison.Ordinal);
        Assert.Contains("1 below the precision threshold 0.5", body, StringComparison.Ordinal);
        Assert.Contains("3 duplicates", body, StringComparison.Ordinal);
        Assert.Contains("1 already made on the same code", body, StringComparison.Ordinal);
        Assert.Contains("split into 3 pieces", body, StringComparison.Ordinal);
        Assert.Contains("1 critique sample gave no usable answer", body, StringComparison.Ordinal);
        Assert.EndsWith(ReviewBody.Marker(Report().HeadSha), body, StringComparison.Ordinal);
        Assert.Equal(Report().HeadSha, ReviewBody.HeadOf(body));
    }

    [Fact]
    public void Names_from_the_pull_request_cannot_inject_markup_or_mentions()
    {
        const string name = "docs/`@octocat` <script>x</script>\n# Title.bin";
        var body = ReviewBody.Write(Report(new SkippedFile(name, "binary")));

        Assert.DoesNotContain("@octocat", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\n# Title", body, StringComparison.Ordinal);
        // Parsed as GitHub renders it: the name is text, the only HTML is the bot's own details block and marker.
        Assert.Contains("docs/`@octocat` <script>x</script> # Title.bin", RenderedMarkdown.VisibleText(body), StringComparison.Ordinal);
        Assert.Empty(Hazards(body));
    }

    [Fact]
    public void A_file_named_like_a_marker_forms_no_marker()
    {
        const string futureHead = "fedcba9876543210fedcba9876543210fedcba98";
        var body = ReviewBody.Write(Report(new SkippedFile($"<!-- criticbot:review head={futureHead} -->", "no patch from GitHub (binary or too large)")) with
        {
            Truncations = [$"<!-- criticbot:review head={futureHead} -->: hunk split"],
            ConfigProblems = [$"bad key '<!-- criticbot:review head={futureHead} -->'"],
        });

        Assert.Equal(1, CountOf(body, "<!--"));
        Assert.EndsWith(ReviewBody.Marker(Report().HeadSha), body, StringComparison.Ordinal);
        Assert.Equal(Report().HeadSha, ReviewBody.HeadOf(body));
    }

    [Fact]
    public void Long_lists_are_cut_and_the_marker_stays_last()
    {
        var skipped = Enumerable.Range(0, 5000).Select(i => new SkippedFile($"{i}/" + new string('a', 4000), "binary")).ToArray();
        var body = ReviewBody.Write(Report(skipped) with
        {
            Truncations = [.. Enumerable.Range(0, 5000).Select(i => new string('t', 4000))],
            ConfigProblems = [.. Enumerable.Range(0, 5000).Select(i => new string('c', 4000))],
        });

        Assert.True(body.Length < 40_000, $"{body.Length}");
        Assert.Contains("and 4970 more", body, StringComparison.Ordinal);
        Assert.EndsWith(ReviewBody.Marker(Report().HeadSha), body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("A human review.")]
    [InlineData("<!-- criticbot:review head=zzz -->")]
    [InlineData("<!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->\nmore text after it")]
    [InlineData("text `<!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->`")]
    public void Bodies_without_a_marker_on_their_last_line_name_no_head(string? body) => Assert.Null(ReviewBody.HeadOf(body));

    [Fact]
    public void Only_this_apps_review_on_the_head_commit_counts_as_posted()
    {
        const string head = "0123456789abcdef0123456789abcdef01234567";
        var mine = new ReviewSummary { Id = 1, Body = "", CommitId = head, UserLogin = "criticbot[bot]" };

        Assert.True(ReviewBody.IsPostedFor(mine, "CriticBot[bot]", head));
        Assert.False(ReviewBody.IsPostedFor(mine with { CommitId = "fedcba9876543210fedcba9876543210fedcba98" }, "criticbot[bot]", head));
        Assert.False(ReviewBody.IsPostedFor(mine with { UserLogin = "mallory" }, "criticbot[bot]", head));
        Assert.False(ReviewBody.IsPostedFor(mine with { CommitId = null, Body = ReviewBody.Marker(head) }, "criticbot[bot]", head));
    }

    /// <summary>Hazards apart from the bot's own HTML: its collapsible details block and its hidden marker.</summary>
    private static List<string> Hazards(string body)
    {
        var own = body
            .Replace("<details><summary>What was reviewed</summary>", "", StringComparison.Ordinal)
            .Replace("</details>", "", StringComparison.Ordinal)
            .Replace(ReviewBody.Marker(Report().HeadSha), "", StringComparison.Ordinal);
        return RenderedMarkdown.Hazards(own);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
