using System.Globalization;
using System.Text;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Safety;
using CriticBot.GitHub;

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

    /// <summary>Samples asked for per chunk.</summary>
    public required int Samples { get; init; }

    /// <summary>How many each chunk drew (adaptive sampling stops early where the verdict is settled); empty: not known.</summary>
    public IReadOnlyList<int> SamplesDrawn { get; init; } = [];
}

/// <summary>
/// Writes the review body: what was reviewed, skipped and dropped, and, as its last line, a hidden marker naming the
/// head SHA. Every name from the pull request or the repository (file paths, truncation notices, configuration
/// errors) is untrusted: it is written as one capped code span (<see cref="MarkdownText.InlineCode"/>) or escaped
/// text, so it can form neither HTML nor a marker. The lists are capped, so the body stays far below GitHub's
/// limit; whether a head is already reviewed is decided from GitHub's own fields (<see cref="IsPostedFor"/>), not
/// from the marker.
/// </summary>
public static class ReviewBody
{
    /// <summary>The most entries of one list (skipped files, truncations) named in the body; the rest are counted.</summary>
    public const int MaxListed = 30;

    /// <summary>The most configuration problems named; each is one line, capped like a path.</summary>
    public const int MaxConfigProblems = 10;

    /// <summary>The longest path or notice shown, in characters; longer ones end in "…".</summary>
    public const int MaxNameLength = 300;

    private const string MarkerStart = "<!-- criticbot:review head=";
    private const string MarkerEnd = " -->";

    public static string Marker(string headSha) => $"{MarkerStart}{headSha}{MarkerEnd}";

    /// <summary>
    /// Whether <paramref name="review"/> is this App's review of <paramref name="headSha"/>: GitHub says so through the
    /// review's commit and author, which no pull request text can change.
    /// </summary>
    public static bool IsPostedFor(ReviewSummary review, string botLogin, string headSha)
    {
        ArgumentNullException.ThrowIfNull(review);
        return !string.IsNullOrEmpty(botLogin)
            && string.Equals(review.UserLogin, botLogin, StringComparison.OrdinalIgnoreCase)
            && string.Equals(review.CommitId, headSha, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The head SHA named by the marker on a body's last line, written exactly as <see cref="Marker"/> writes it; null
    /// otherwise. A marker anywhere else in the body is not the bot's.
    /// </summary>
    public static string? HeadOf(string? body)
    {
        var line = LastLine(body);
        if (line is null || !line.StartsWith(MarkerStart, StringComparison.Ordinal) || !line.EndsWith(MarkerEnd, StringComparison.Ordinal))
        {
            return null;
        }

        var sha = line[MarkerStart.Length..^MarkerEnd.Length];
        return sha.Length is >= 7 and <= 64 && sha.All(char.IsAsciiHexDigit) ? sha : null;
    }

    /// <summary>The last line of a body, trailing white space ignored; null for an empty body.</summary>
    internal static string? LastLine(string? body)
    {
        var trimmed = body?.TrimEnd();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        return trimmed[(trimmed.LastIndexOf('\n') + 1)..].TrimStart();
    }

    public static string Write(ReviewReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var b = new StringBuilder();
        var head = Short(report.HeadSha);
        b.Append("**CriticBot** reviewed ");
        b.Append(Plural(report.FilesReviewed, "file"));
        b.Append(report.SinceSha is null
            ? $" at {Code(head)}"
            : $" changed between {Code(Short(report.SinceSha))} and {Code(head)}");
        b.Append(" and left ").Append(Plural(report.CommentsPosted, "comment")).Append(".\n");

        var details = new List<string>();
        if (report.SkippedFiles.Count > 0)
        {
            var listed = report.SkippedFiles.Take(MaxListed).Select(f => $"{Code(f.Path)} ({MarkdownText.Escape(OneLine(f.Reason))})");
            details.Add($"Skipped {Plural(report.SkippedFiles.Count, "file")}: {string.Join(", ", listed)}{More(report.SkippedFiles.Count, MaxListed)}.");
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
            dropped.Add($"{d.Duplicates} duplicates merged across {SamplesText(report)}");
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

        if (report.Truncations.Count > MaxListed)
        {
            details.Add($"Split to fit the model: {report.Truncations.Count - MaxListed} more.");
        }

        foreach (var problem in report.ConfigProblems.Take(MaxConfigProblems))
        {
            details.Add($"Configuration: {Code(problem)} (defaults used where invalid).");
        }

        if (report.ConfigProblems.Count > MaxConfigProblems)
        {
            details.Add($"Configuration: {report.ConfigProblems.Count - MaxConfigProblems} more problems.");
        }

        if (report.Usage.FailedSamples > 0)
        {
            details.Add($"{Plural(report.Usage.FailedSamples, "critique sample")} gave no usable answer.");
        }

        details.Add($"Model usage: {report.Usage.Calls} calls, {report.Usage.PromptTokens} prompt ({report.Usage.CachedPromptTokens} cached) and {report.Usage.CompletionTokens} completion tokens.");
        if (report.Usage.CostUsd is { } cost)
        {
            var estimate = report.Usage.EstimatedCostUsd is { } e ? Dollars(e) : "unknown";
            details.Add($"Model cost: {Dollars(cost)} at the configured prices (estimated before sending: {estimate}).");
        }

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

    private static string Dollars(decimal dollars) => string.Create(CultureInfo.InvariantCulture, $"${dollars:0.0000}");

    private static string More(int count, int listed) => count > listed ? $" and {count - listed} more" : "";

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;

    /// <summary>"3 samples", or with adaptive sampling the numbers the chunks really drew: "2-5 samples a chunk".</summary>
    private static string SamplesText(ReviewReport report)
    {
        if (report.SamplesDrawn.Count == 0 || report.SamplesDrawn.All(n => n == report.Samples))
        {
            return Plural(report.Samples, "sample");
        }

        var (least, most) = (report.SamplesDrawn.Min(), report.SamplesDrawn.Max());
        return least == most ? $"{Plural(most, "sample")} a chunk" : $"{least}-{most} samples a chunk";
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>
    /// Text from the pull request or the repository as one code span: Markdown and HTML are not rendered inside it,
    /// it cannot break out, it pings no one, it cannot open an HTML comment, and it is capped.
    /// </summary>
    private static string Code(string text) => MarkdownText.InlineCode(text, MaxNameLength);
}
