namespace CriticBot.Reviews;

/// <summary>Service-wide review defaults; a repository's <c>.github/criticbot.yml</c> narrows them.</summary>
public sealed class ReviewOptions
{
    public const string Section = "Review";

    /// <summary>Independent critiques per chunk (also <c>CRITICBOT_SAMPLES</c>).</summary>
    public int Samples { get; set; } = 3;

    /// <summary>The precision knob (0..1): lower catches more bugs and posts more hallucinations and nitpicks.</summary>
    public double Precision { get; set; } = 0.5;

    public int MaxComments { get; set; } = 10;

    /// <summary>Model calls in flight at once for one review.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Model calls in flight at once for the whole service, across all reviews (the provider's limit).</summary>
    public int MaxModelCalls { get; set; } = 8;

    /// <summary>The name of the check run that shows progress on the pull request.</summary>
    public string CheckRunName { get; set; } = "CriticBot";

    /// <summary>
    /// Identifies this process's claims on reviews. Stable across restarts of one host, so a host that crashed
    /// mid-review takes its own work back at once; other hosts wait for <see cref="ReviewLease"/> to pass.
    /// </summary>
    public string WorkerId { get; set; } = Environment.MachineName;

    /// <summary>How long a claim on a review holds off other hosts if its holder dies.</summary>
    public TimeSpan ReviewLease { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The host links in comments may point to; others are made plain text. Derived from GITHUB_API_URL when empty.</summary>
    public string? RepositoryHost { get; set; }
}
