namespace CriticBot.GitHub;

/// <summary>How hard we try before handing a failure back to the inbox as <see cref="GitHubTransientException"/>.</summary>
public sealed class GitHubResilienceOptions
{
    /// <summary>Attempts per request, the first included.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The longest single wait (retry-after, rate-limit reset) we sit through; longer ones become transient errors.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>First backoff after a 5xx or a network error; doubled per attempt, with jitter.</summary>
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Minimum gap between content-creating calls (POST/PATCH/PUT/DELETE) per installation; GitHub asks for about 1 s.</summary>
    public TimeSpan MinimumWriteInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Installation tokens are renewed when they have less than this left.</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromMinutes(5);
}
