using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Reviews;

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
        var body = ReviewBody.Write(Report(new SkippedFile("docs/`@octocat` <script>x</script>\n# Title.bin", "binary")));

        Assert.DoesNotContain("@octocat", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\n# Title", body, StringComparison.Ordinal);
        // Markup only ever appears inside inline code spans, where GitHub does not render it.
        foreach (var line in body.Split('\n').Where(l => l.Contains("<script>", StringComparison.Ordinal) || l.Contains("<img", StringComparison.Ordinal)))
        {
            var outsideCode = string.Concat(line.Split('`').Where((_, i) => i % 2 == 0));
            Assert.DoesNotContain("<script>", outsideCode, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", outsideCode, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("A human review.")]
    [InlineData("<!-- criticbot:review head=zzz -->")]
    public void Bodies_without_a_marker_name_no_head(string? body) => Assert.Null(ReviewBody.HeadOf(body));
}
