using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CriticBot.Storage;

namespace CriticBot.Feedback;

/// <summary>One line of <c>criticbot stats</c>: a severity or a precision setting of one repository.</summary>
public sealed record FeedbackStatsRow
{
    [JsonPropertyName("posted")] public required int Posted { get; init; }
    [JsonPropertyName("rated")] public required int Rated { get; init; }

    /// <summary>Of the rated comments, the share whose latest rating was positive (0 when none was rated).</summary>
    [JsonPropertyName("positive_share")] public required double PositiveShare { get; init; }
    [JsonPropertyName("negative_share")] public required double NegativeShare { get; init; }
    [JsonPropertyName("neutral_share")] public required double NeutralShare { get; init; }

    /// <summary>Of the posted comments, the share a later push addressed.</summary>
    [JsonPropertyName("addressed_share")] public required double AddressedShare { get; init; }
}

public sealed record SeverityStats
{
    [JsonPropertyName("severity")] public required string Severity { get; init; }
    [JsonPropertyName("stats")] public required FeedbackStatsRow Stats { get; init; }
}

public sealed record PrecisionStats
{
    /// <summary>The review's precision setting, or "unknown" for reviews recorded before it was kept.</summary>
    [JsonPropertyName("precision")] public required string Precision { get; init; }
    [JsonPropertyName("stats")] public required FeedbackStatsRow Stats { get; init; }
}

public sealed record RepositoryStats
{
    [JsonPropertyName("repository")] public required string Repository { get; init; }
    [JsonPropertyName("missed_bugs")] public required int MissedBugs { get; init; }
    [JsonPropertyName("severities")] public required IReadOnlyList<SeverityStats> Severities { get; init; }
    [JsonPropertyName("precision")] public required IReadOnlyList<PrecisionStats> Precision { get; init; }
}

/// <summary>The numbers behind <c>criticbot stats</c>, computed from the posted comments and the feedback log.</summary>
public static class FeedbackStats
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static IReadOnlyList<RepositoryStats> Compute(IReadOnlyList<CommentForStats> comments, IReadOnlyList<FeedbackEventRecord> events)
    {
        ArgumentNullException.ThrowIfNull(comments);
        ArgumentNullException.ThrowIfNull(events);
        var retracted = events.Where(e => e.Event.Kind == FeedbackKind.ReactionRetracted && e.Event.GitHubReactionId is not null)
            .Select(e => e.Event.GitHubReactionId!.Value).ToHashSet();
        var verdicts = new Dictionary<(long, string), FeedbackValue>();
        var addressed = new HashSet<(long, string)>();
        foreach (var record in events.OrderBy(e => e.Id))
        {
            var e = record.Event;
            if (e.ReviewId is not { } reviewId || e.Fingerprint is not { } fingerprint)
            {
                continue;
            }

            var key = (reviewId, fingerprint);
            var isRating = e.Kind is FeedbackKind.CommandGood or FeedbackKind.CommandNit or FeedbackKind.CommandWrong or FeedbackKind.CommandRate
                || (e.Kind == FeedbackKind.Reaction && !retracted.Contains(e.GitHubReactionId ?? 0));
            if (isRating && e.Value is { } value)
            {
                verdicts[key] = value; // the latest rating stands
            }
            else if (e.Kind == FeedbackKind.Addressed)
            {
                addressed.Add(key);
            }
        }

        var missed = events.Where(e => e.Event.Kind == FeedbackKind.MissedBug)
            .GroupBy(e => e.Event.Repository, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        var repositories = comments.Select(c => c.Repository).Concat(missed.Keys)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        return [.. repositories.Select(repository =>
        {
            var ofRepository = comments.Where(c => string.Equals(c.Repository, repository, StringComparison.OrdinalIgnoreCase)).ToList();
            return new RepositoryStats
            {
                Repository = repository,
                MissedBugs = missed.GetValueOrDefault(repository),
                Severities = [.. ofRepository.GroupBy(c => c.Severity).OrderBy(g => SeverityOrder(g.Key))
                    .Select(g => new SeverityStats { Severity = g.Key, Stats = Row(g.ToList(), verdicts, addressed) })],
                Precision = [.. ofRepository.GroupBy(c => PrecisionOf(c.SummaryJson)).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new PrecisionStats { Precision = g.Key, Stats = Row(g.ToList(), verdicts, addressed) })],
            };
        })];
    }

    public static string ToJson(IReadOnlyList<RepositoryStats> stats) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["repositories"] = stats }, Json);

    public static string ToText(IReadOnlyList<RepositoryStats> stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (stats.Count == 0)
        {
            return "no comments posted and no feedback recorded" + Environment.NewLine;
        }

        var text = new StringBuilder();
        foreach (var repository in stats)
        {
            text.Append(CultureInfo.InvariantCulture, $"{repository.Repository}: {repository.MissedBugs} missed bug(s) reported").AppendLine();
            text.AppendLine("  severity        posted  rated  positive  negative  neutral  addressed");
            foreach (var severity in repository.Severities)
            {
                Line(text, severity.Severity, severity.Stats);
            }

            foreach (var precision in repository.Precision)
            {
                Line(text, "precision " + precision.Precision, precision.Stats);
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string label, FeedbackStatsRow row) =>
        text.Append(CultureInfo.InvariantCulture,
            $"  {label,-15} {row.Posted,6} {row.Rated,6} {Percent(row.PositiveShare),9} {Percent(row.NegativeShare),9} {Percent(row.NeutralShare),8} {Percent(row.AddressedShare),10}").AppendLine();

    private static string Percent(double share) => share.ToString("0%", CultureInfo.InvariantCulture);

    private static FeedbackStatsRow Row(List<CommentForStats> comments, Dictionary<(long, string), FeedbackValue> verdicts, HashSet<(long, string)> addressed)
    {
        var rated = comments.Select(c => verdicts.TryGetValue((c.ReviewId, c.Fingerprint), out var v) ? v : (FeedbackValue?)null).OfType<FeedbackValue>().ToList();
        double Share(FeedbackValue value) => rated.Count == 0 ? 0 : Math.Round((double)rated.Count(v => v == value) / rated.Count, 4);
        return new FeedbackStatsRow
        {
            Posted = comments.Count,
            Rated = rated.Count,
            PositiveShare = Share(FeedbackValue.Positive),
            NegativeShare = Share(FeedbackValue.Negative),
            NeutralShare = Share(FeedbackValue.Neutral),
            AddressedShare = comments.Count == 0 ? 0 : Math.Round((double)comments.Count(c => addressed.Contains((c.ReviewId, c.Fingerprint))) / comments.Count, 4),
        };
    }

    private static int SeverityOrder(string severity) => severity switch { "bug" => 0, "risk" => 1, "nit" => 2, _ => 3 };

    private static string PrecisionOf(string? summaryJson)
    {
        if (summaryJson is null)
        {
            return "unknown";
        }

        try
        {
            using var document = JsonDocument.Parse(summaryJson);
            return document.RootElement.TryGetProperty("precision", out var p) && p.ValueKind == JsonValueKind.Number
                ? p.GetDouble().ToString("0.###", CultureInfo.InvariantCulture)
                : "unknown";
        }
        catch (JsonException)
        {
            return "unknown";
        }
    }
}
