using System.ComponentModel.DataAnnotations;

namespace CriticBot.Inbox;

/// <summary>Inbox worker settings (configuration section "Inbox", e.g. env Inbox__MaxAttempts).</summary>
public sealed class InboxOptions
{
    public const string Section = "Inbox";

    /// <summary>False stores deliveries but processes none (load tests of intake; a second intake-only node).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Deliveries of different pull requests handled at once; one PR is always one at a time.</summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Dedicated threads that run handlers (reviews) and every continuation of their code, apart from the thread pool
    /// that serves intake; unset: one per core but one (at least one). 0 runs handlers on the thread pool instead.
    /// </summary>
    [Range(0, 64)]
    public int? ReviewThreads { get; set; }

    /// <summary>Attempts before a delivery is marked failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubles per attempt, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The longest wait honoured when a failure says when to try again (a rate limit's reset, at most an hour on
    /// GitHub; another host's review lease). Longer hints are cut to this.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(65);

    /// <summary>
    /// How long a claim lives without renewal; a crashed worker's deliveries return after this. Renewed every third
    /// of it while the handler runs, so it can be short: a restarted process or another replica resumes a killed
    /// one's deliveries within about this long.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the worker looks for due retries and other processes' expired leases.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    internal string? Validate()
    {
        if (RetryBaseDelay <= TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            return "Inbox:RetryBaseDelay must be positive and at most Inbox:RetryMaxDelay.";
        }

        if (MaxRetryAfter < TimeSpan.Zero)
        {
            return "Inbox:MaxRetryAfter must not be negative.";
        }

        if (Lease < TimeSpan.FromSeconds(3))
        {
            return "Inbox:Lease must be at least three seconds (it is renewed every third of it).";
        }

        return PollInterval <= TimeSpan.Zero ? "Inbox:PollInterval must be positive." : null;
    }
}
