using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Safety;

namespace CriticBot.Reviews;

/// <summary>What one review covered, for its body and the check run.</summary>
public sealed record ReviewReport
{
    public required string HeadSha { get; init; }

    /// <summary>The previously reviewed head when only the changes since then were reviewed.</summary>
    public string? SinceSha { get; init; }

    public required int FilesReviewed { get; init; }
    public required int CommentsPosted { get; init; }
    public required IReadOnlyList<SkippedFile> SkippedFiles { get; init; }
    public required DroppedCounts Dropped { get; init; }

    /// <summary>Comments left out because the same comment was already made on the same code.</summary>
    public int AlreadyPosted { get; init; }

    public required IReadOnlyList<string> Truncations { get; init; }
    public required IReadOnlyList<string> ConfigProblems { get; init; }
    public required ReviewUsage Usage { get; init; }
    public required double Precision { get; init; }
    public required int MaxComments { get; init; }
    public required int Samples { get; init; }
}

/// <summary>
/// Writes the review body: what was reviewed, skipped and dropped, and a hidden marker naming the head SHA,
/// by which a restarted worker recognises a review it already posted. Every name from the pull request
/// (file paths) is untrusted and goes through <see cref="OutputSanitizer"/>.
/// </summary>
public static partial class ReviewBody
{
    private const int MaxListed = 30;

    public static string Marker(string headSha) => $"<!-- criticbot:review head={headSha} -->";

    /// <summary>The head SHA named by a review body's marker, or null when the body is not CriticBot's.</summary>
    public static string? HeadOf(string? body)
    {
        if (body is null)
        {
            return null;
        }

        var match = MarkerPattern().Match(body);
        return match.Success ? match.Groups[1].Value : null;
    }

    public static string Write(ReviewReport report)
    {
        var b = new StringBuilder();
        var head = Short(report.HeadSha);
        b.Append("**CriticBot** reviewed ");
        b.Append(Plural(report.FilesReviewed, "file"));
        b.Append(report.SinceSha is null
            ? $" at `{head}`"
            : $" changed between `{Short(report.SinceSha)}` and `{head}`");
        b.Append(" and left ").Append(Plural(report.CommentsPosted, "comment")).Append(".\n");

        var details = new List<string>();
        if (report.SkippedFiles.Count > 0)
        {
            var listed = report.SkippedFiles.Take(MaxListed).Select(f => $"{Code(f.Path)} ({f.Reason})");
            var more = report.SkippedFiles.Count > MaxListed ? $" and {report.SkippedFiles.Count - MaxListed} more" : "";
            details.Add($"Skipped {Plural(report.SkippedFiles.Count, "file")}: {string.Join(", ", listed)}{more}.");
        }

        var d = report.Dropped;
        var dropped = new List<string>();
        if (d.Ungrounded > 0)
        {
            dropped.Add($"{d.Ungrounded} ungrounded (the quoted code is not in the diff)");
        }

        if (d.BelowThreshold > 0)
        {
            dropped.Add($"{d.BelowThreshold} below the precision threshold {report.Precision.ToString("0.##", CultureInfo.InvariantCulture)}");
        }

        if (d.Duplicates > 0)
        {
            dropped.Add($"{d.Duplicates} duplicates merged across {report.Samples} samples");
        }

        if (d.OverLimit > 0)
        {
            dropped.Add($"{d.OverLimit} over the limit of {report.MaxComments} comments");
        }

        if (report.AlreadyPosted > 0)
        {
            dropped.Add($"{report.AlreadyPosted} already made on the same code earlier");
        }

        if (dropped.Count > 0)
        {
            details.Add($"Dropped highlights: {string.Join("; ", dropped)}.");
        }

        foreach (var cut in report.Truncations.Take(MaxListed))
        {
            details.Add($"Split to fit the model: {Code(cut)}.");
        }

        foreach (var problem in report.ConfigProblems)
        {
            details.Add($"Configuration: {Code(problem)} (defaults used where invalid).");
        }

        if (report.Usage.FailedSamples > 0)
        {
            details.Add($"{Plural(report.Usage.FailedSamples, "critique sample")} gave no usable answer.");
        }

        details.Add($"Model usage: {report.Usage.Calls} calls, {report.Usage.PromptTokens} prompt and {report.Usage.CompletionTokens} completion tokens.");

        b.Append("\n<details><summary>What was reviewed</summary>\n\n");
        foreach (var line in details)
        {
            b.Append("- ").Append(line).Append('\n');
        }

        b.Append("\n</details>\n\n");
        b.Append("React with 👍 or 👎 on a comment to rate it; your ratings help train better critics.\n\n");
        b.Append(Marker(report.HeadSha));
        return b.ToString();
    }

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>
    /// Text from the pull request or the repository (paths, configuration keys) as inline code: Markdown and HTML
    /// are not rendered inside it, it cannot break out (no backticks, one line), and it pings no one.
    /// </summary>
    private static string Code(string text) => "`" + OutputSanitizer.SanitizeCode(OneLine(text).Replace('`', '\'')) + "`";

    [GeneratedRegex(@"<!-- criticbot:review head=([0-9a-fA-F]{4,64}) -->")]
    private static partial Regex MarkerPattern();
}
