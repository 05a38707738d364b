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

    /// <summary>Stop sampling a chunk once more samples could not change its comments (also <c>CRITICBOT_ADAPTIVE_SAMPLING</c>); see <see cref="Engine.CriticOptions.AdaptiveSampling"/>.</summary>
    public bool AdaptiveSampling { get; set; }

    /// <summary>Prices per model from <c>CRITICBOT_PRICES</c> (not bound from this section: its setter is internal).</summary>
    public Engine.Model.ModelPrices Prices { get; internal set; } = Engine.Model.ModelPrices.None;

    /// <summary>The configured model (<c>CRITICBOT_MODEL</c>), priced for estimates.</summary>
    public string? PricedModel { get; internal set; }

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

    /// <summary>
    /// How long a claim on a review holds off other hosts if its holder dies. Renewed every third of it while the
    /// review runs, so it can be short: another replica resumes a dead one's review within about this long.
    /// </summary>
    public TimeSpan ReviewLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a running review looks for a newer push of its pull request (a newer delivery in the store, then
    /// the head on GitHub); a superseded review is cancelled, its pending model calls abandoned.
    /// </summary>
    public TimeSpan SupersedeCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The most chunks one review sends to the model (the rest is named in the summary as not reviewed).</summary>
    public int MaxChunks { get; set; } = 50;

    /// <summary>The most prompt tokens one review sends, over every chunk and sample.</summary>
    public long MaxPromptTokens { get; set; } = 1_000_000;

    /// <summary>The most model calls one review makes, retries included: with the defaults, at most 200 whatever the pull request's size.</summary>
    public int MaxModelCallsPerReview { get; set; } = 200;

    /// <summary>Model calls one repository may use per clock hour, across every replica (shared through the database).</summary>
    public int RepositoryModelCallsPerHour { get; set; } = 1000;

    /// <summary>Model calls the pull requests of one author may use per clock hour, across every repository and replica.</summary>
    public int AuthorModelCallsPerHour { get; set; } = 400;

    /// <summary>The host links in comments may point to; others are made plain text. Derived from GITHUB_API_URL when empty.</summary>
    public string? RepositoryHost { get; set; }
}
