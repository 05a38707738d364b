namespace CriticBot.Engine.Critic;

/// <summary>How bad the critic says a problem is; the order matters (Nit &lt; Risk &lt; Bug).</summary>
public enum Severity
{
    Nit = 0,
    Risk = 1,
    Bug = 2,
}

public static class SeverityNames
{
    /// <summary>
    /// Reads a model's severity label in any case. Common synonyms map to the nearest label; an
    /// unknown or missing label becomes <see cref="Severity.Risk"/>: the model flagged something but
    /// did not say how bad, so it neither gets a bug's weight nor is buried as a nit.
    /// </summary>
    public static Severity Parse(string? label) => label?.Trim().ToUpperInvariant() switch
    {
        "BUG" or "ERROR" or "CRITICAL" or "HIGH" or "MAJOR" or "BLOCKER" => Severity.Bug,
        "NIT" or "NITPICK" or "STYLE" or "MINOR" or "LOW" or "TRIVIAL" or "INFO" => Severity.Nit,
        _ => Severity.Risk,
    };

    /// <summary>The wire name: "bug", "risk" or "nit".</summary>
    public static string ToWireName(this Severity severity) => severity switch
    {
        Severity.Bug => "bug",
        Severity.Nit => "nit",
        _ => "risk",
    };
}
