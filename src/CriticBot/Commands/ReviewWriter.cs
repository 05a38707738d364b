using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CriticBot.Engine;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Safety;

namespace CriticBot.Commands;

/// <summary>
/// Renders a review or a plan as text for people or as the stable JSON of docs/review-json.md. Text for people goes to a
/// terminal: paths, quotes and model text in it lose their escape sequences and control characters
/// (<see cref="TerminalText"/>); JSON escapes them anyway.
/// </summary>
internal static class ReviewWriter
{
    private static readonly JsonWriterOptions Indented = new()
    {
        Indented = true,
        // Keep code readable ("<", "&", quotes) in quotes and bodies; the output is JSON, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string ResultText(CritiqueResult result)
    {
        var text = new StringBuilder();
        foreach (var comment in result.Comments)
        {
            var place = comment.StartLine is { } start ? $"{start}-{comment.Line}" : comment.Line.ToString(CultureInfo.InvariantCulture);
            var side = comment.Side == DiffSide.Left ? " (old file)" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"{comment.Path}:{place}{side} [{comment.Severity.ToWireName()}] score {comment.Score:0.00}, {comment.Support} sample(s)\n");
            foreach (var line in comment.Quote.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append("  > ").Append(line).Append('\n');
            }

            foreach (var line in comment.Body.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append("  ").Append(line).Append('\n');
            }

            text.Append('\n');
        }

        foreach (var skipped in result.SkippedFiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"skipped {skipped.Path}: {skipped.Reason}\n");
        }

        foreach (var truncation in result.Truncations)
        {
            text.Append(CultureInfo.InvariantCulture, $"truncated: {truncation}\n");
        }

        var dropped = result.Dropped;
        var usage = result.Usage;
        text.Append(CultureInfo.InvariantCulture,
            $"{result.Comments.Count} comment(s); dropped {dropped.Ungrounded} ungrounded, {dropped.BelowThreshold} below threshold, " +
            $"{dropped.Duplicates} duplicate(s), {dropped.OverLimit} over limit; {result.SkippedFiles.Count} file(s) skipped; " +
            $"{usage.Calls} call(s), {usage.PromptTokens} prompt ({usage.CachedPromptTokens} cached) + {usage.CompletionTokens} completion tokens, {usage.FailedSamples} failed sample(s)\n");
        if (usage.EstimatedCostUsd is not null || usage.CostUsd is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"cost: estimated {Dollars(usage.EstimatedCostUsd)}, actual {Dollars(usage.CostUsd)}\n");
        }

        return TerminalText.Clean(text.ToString());
    }

    public static string ResultJson(CritiqueResult result) => Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("comments");
        foreach (var comment in result.Comments)
        {
            writer.WriteStartObject();
            writer.WriteString("path", comment.Path);
            writer.WriteNumber("line", comment.Line);
            writer.WriteString("side", comment.Side == DiffSide.Left ? "LEFT" : "RIGHT");
            if (comment.StartLine is { } start)
            {
                writer.WriteNumber("start_line", start);
            }

            writer.WriteString("quote", comment.Quote);
            writer.WriteString("severity", comment.Severity.ToWireName());
            writer.WriteString("body", comment.Body);
            writer.WriteNumber("score", Math.Round(comment.Score, 3));
            writer.WriteNumber("support", comment.Support);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("dropped");
        writer.WriteNumber("ungrounded", result.Dropped.Ungrounded);
        writer.WriteNumber("below_threshold", result.Dropped.BelowThreshold);
        writer.WriteNumber("duplicates", result.Dropped.Duplicates);
        writer.WriteNumber("over_limit", result.Dropped.OverLimit);
        writer.WriteEndObject();
        WriteSkipped(writer, result.SkippedFiles.Select(s => (s.Path, s.Reason)));
        WriteStrings(writer, "truncations", result.Truncations);
        writer.WriteStartObject("usage");
        writer.WriteNumber("calls", result.Usage.Calls);
        writer.WriteNumber("prompt_tokens", result.Usage.PromptTokens);
        writer.WriteNumber("completion_tokens", result.Usage.CompletionTokens);
        writer.WriteNumber("failed_samples", result.Usage.FailedSamples);
        writer.WriteNumber("cached_prompt_tokens", result.Usage.CachedPromptTokens);
        WriteCost(writer, "estimated_cost_usd", result.Usage.EstimatedCostUsd);
        WriteCost(writer, "cost_usd", result.Usage.CostUsd);
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    public static string PlanText(ReviewPlan plan)
    {
        var chunks = plan.Chunks;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"dry run: {chunks.FilesReviewed} file(s), {chunks.HunksReviewed} hunk(s) to review in {chunks.Chunks.Count} chunk(s); no model called\n");
        foreach (var (path, hunks) in FilesOf(plan))
        {
            text.Append(CultureInfo.InvariantCulture, $"  review {path} ({hunks} hunk(s))\n");
        }

        foreach (var skipped in chunks.SkippedFiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"  skip   {skipped.Path}: {skipped.Reason}\n");
        }

        foreach (var truncation in chunks.Truncations)
        {
            text.Append(CultureInfo.InvariantCulture, $"  truncated: {truncation}\n");
        }

        for (var i = 0; i < chunks.Chunks.Count; i++)
        {
            var chunk = chunks.Chunks[i];
            text.Append(CultureInfo.InvariantCulture,
                $"  chunk {chunk.Index + 1}: {chunk.Files.Count} file(s), ~{plan.PromptTokensPerChunk[i]} prompt tokens\n");
        }

        text.Append(CultureInfo.InvariantCulture,
            $"estimated prompt tokens: {plan.PromptTokensPerChunk.Sum()} x {plan.Samples} sample(s) = {plan.TotalPromptTokens}\n");
        text.Append(CultureInfo.InvariantCulture, $"estimated cost: {Dollars(plan.EstimatedCostUsd)} (prompt tokens at the uncached input price)\n");
        return TerminalText.Clean(text.ToString());
    }

    public static string PlanJson(ReviewPlan plan) => Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteBoolean("dry_run", true);
        writer.WriteStartArray("files");
        foreach (var (path, hunks) in FilesOf(plan))
        {
            writer.WriteStartObject();
            writer.WriteString("path", path);
            writer.WriteNumber("hunks", hunks);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteSkipped(writer, plan.Chunks.SkippedFiles.Select(s => (s.Path, s.Reason)));
        WriteStrings(writer, "truncations", plan.Chunks.Truncations);
        writer.WriteStartArray("chunks");
        for (var i = 0; i < plan.Chunks.Chunks.Count; i++)
        {
            var chunk = plan.Chunks.Chunks[i];
            writer.WriteStartObject();
            writer.WriteNumber("index", chunk.Index);
            WriteStrings(writer, "files", [.. chunk.Files.Select(f => f.Path)]);
            writer.WriteNumber("prompt_tokens", plan.PromptTokensPerChunk[i]);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("files_reviewed", plan.Chunks.FilesReviewed);
        writer.WriteNumber("hunks_reviewed", plan.Chunks.HunksReviewed);
        writer.WriteNumber("samples", plan.Samples);
        writer.WriteNumber("estimated_prompt_tokens", plan.TotalPromptTokens);
        writer.WriteBoolean("prompt_tokens_estimated", plan.TokensAreEstimates);
        WriteCost(writer, "estimated_cost_usd", plan.EstimatedCostUsd);
        writer.WriteEndObject();
    });

    /// <summary>Reviewed files in first-seen order with their hunks (pieces of a cut hunk count separately).</summary>
    private static List<(string Path, int Hunks)> FilesOf(ReviewPlan plan) =>
        [.. plan.Chunks.Chunks
            .SelectMany(c => c.Files)
            .GroupBy(f => f.Path, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Sum(f => f.Hunks.Count)))];

    /// <summary>Dollars rounded to a millionth; null (no price configured for the model) stays null.</summary>
    private static void WriteCost(Utf8JsonWriter writer, string name, decimal? dollars)
    {
        if (dollars is { } value)
        {
            writer.WriteNumber(name, Math.Round(value, 6));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    internal static string Dollars(decimal? dollars) =>
        dollars is { } value ? string.Create(CultureInfo.InvariantCulture, $"${Math.Round(value, 4):0.0000}") : "unknown (no price for the model)";

    private static void WriteSkipped(Utf8JsonWriter writer, IEnumerable<(string Path, string Reason)> skipped)
    {
        writer.WriteStartArray("skipped_files");
        foreach (var (path, reason) in skipped)
        {
            writer.WriteStartObject();
            writer.WriteString("path", path);
            writer.WriteString("reason", reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
