namespace CriticBot.Commands;

public enum ReviewFormat
{
    Text,
    Json,
}

/// <summary>What <c>criticbot review</c> was asked; null numbers fall back to configuration, then defaults.</summary>
public sealed record ReviewArguments
{
    /// <summary>A file path, or "-" for standard input.</summary>
    public required string DiffPath { get; init; }

    public ReviewFormat Format { get; init; } = ReviewFormat.Text;
    public int? Samples { get; init; }
    public double? Precision { get; init; }
    public int? MaxComments { get; init; }
    public bool DryRun { get; init; }
}
