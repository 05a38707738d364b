namespace CriticBot.Engine.Critic;

/// <summary>One highlight exactly as the model wrote it (after parsing), not yet grounded.</summary>
public sealed record RawHighlight
{
    public required string Path { get; init; }

    /// <summary>The first line the model claims; often off by a few lines, used only to break ties.</summary>
    public int? Line { get; init; }

    public int? EndLine { get; init; }
    public required string Quote { get; init; }
    public required Severity Severity { get; init; }

    /// <summary>The label the model used, before normalisation (null when absent).</summary>
    public string? SeverityLabel { get; init; }

    public required string Body { get; init; }
}

/// <summary>The result of reading one model answer.</summary>
public sealed record ParsedCritique
{
    public required bool Ok { get; init; }
    public IReadOnlyList<RawHighlight> Highlights { get; init; } = [];

    /// <summary>Entries of the comments array that lacked a path, quote or body and were left out.</summary>
    public int InvalidEntries { get; init; }

    public string? Error { get; init; }

    public static ParsedCritique Failure(string error) => new() { Ok = false, Error = error };
}
