namespace CriticBot.Export.Files;

/// <summary>
/// What a dataset folder's <c>README.md</c> says about the export: the format, the label rule, the counts and where
/// the data came from. The sink adds the schema (from the row class) and the rows per split (as written).
/// </summary>
public sealed record DatasetCard
{
    /// <summary>The <c>--format</c> name: kto, dpo, openai-dpo, sft or ratings.</summary>
    public required string Format { get; init; }

    /// <summary>Markdown: what one row is and how to load it (a paragraph or two). Optional.</summary>
    public string? DescriptionMarkdown { get; init; }

    /// <summary>Markdown: the rule that turns a comment's events into a label (from docs/export.md).</summary>
    public required string LabelRuleMarkdown { get; init; }

    /// <summary>Rows per label value ("true", "false", "positive", ...), as the summary line reports them.</summary>
    public IReadOnlyDictionary<string, long> RowsPerLabel { get; init; } = new Dictionary<string, long>();

    /// <summary>Preference pairs written (dpo, openai-dpo); null where the format has no pairs.</summary>
    public long? Pairs { get; init; }

    /// <summary>What was left out and why: reason → count (e.g. "conflicting verdicts" → 12).</summary>
    public IReadOnlyDictionary<string, long> Skipped { get; init; } = new Dictionary<string, long>();

    /// <summary>The informational version of criticbot that exported (with its commit).</summary>
    public required string CriticBotVersion { get; init; }

    public required DateTimeOffset ExportedAt { get; init; }

    /// <summary>The filters in force as option → value ("--since" → "2026-01-01", "--min-permission" → "write").</summary>
    public IReadOnlyDictionary<string, string> Filters { get; init; } = new Dictionary<string, string>();

    /// <summary>"SQLite" or "PostgreSQL".</summary>
    public required string DatabaseKind { get; init; }

    /// <summary>The <c>--split</c> fraction for train, when split.</summary>
    public double? SplitFraction { get; init; }

    /// <summary>The <c>--seed</c> of the split, when split.</summary>
    public int? SplitSeed { get; init; }

    /// <summary>Whether rater logins are keyed-hash pseudonyms (false with <c>--raw-logins</c>).</summary>
    public bool LoginsPseudonymised { get; init; } = true;

    /// <summary>Whether private repositories were included regardless of their <c>share_feedback</c> setting.</summary>
    public bool IncludesPrivateRepositories { get; init; }
}
