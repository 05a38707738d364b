using System.Globalization;

namespace CriticBot.Feedback;

/// <summary>How feedback is collected (docs/feedback.md, docs/configuration.md).</summary>
public sealed class FeedbackOptions
{
    public const string Section = "Feedback";
    public const string PollSecondsSetting = "CRITICBOT_FEEDBACK_POLL_SECONDS";
    public const string DaysAfterCloseSetting = "CRITICBOT_FEEDBACK_DAYS_AFTER_CLOSE";

    /// <summary>How often each open pull request's comments are polled for reactions (CRITICBOT_FEEDBACK_POLL_SECONDS, from 1).</summary>
    public int PollSeconds { get; set; } = 300;

    /// <summary>How long polling goes on after a pull request closes (CRITICBOT_FEEDBACK_DAYS_AFTER_CLOSE).</summary>
    public int DaysAfterClose { get; set; } = 7;

    /// <summary>
    /// The share of an installation's rate limit the poller may use: it stops polling an installation while fewer
    /// than (1 − share) × limit requests remain in the window, and waits for the reset.
    /// </summary>
    public double RateLimitShare { get; set; } = 0.1;

    /// <summary>How long a rater's permission is cached.</summary>
    public TimeSpan PermissionCacheTime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many pull requests are polled per round (each round is bounded).</summary>
    public int PollBatch { get; set; } = 20;

    /// <summary>Turns the reactions poller off (replies, commands and threads are still recorded).</summary>
    public bool PollReactions { get; set; } = true;

    public TimeSpan PollInterval => TimeSpan.FromSeconds(PollSeconds);

    /// <summary>Reads the two CRITICBOT_ settings over the Feedback section; a bad one is an error naming it.</summary>
    public string? ApplyEnvironment(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[PollSecondsSetting] is { Length: > 0 } poll)
        {
            if (!int.TryParse(poll.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 1)
            {
                return $"{PollSecondsSetting} must be a whole number of seconds from 1, not '{poll}'";
            }

            PollSeconds = seconds;
        }

        if (configuration[DaysAfterCloseSetting] is { Length: > 0 } days)
        {
            if (!int.TryParse(days.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 0)
            {
                return $"{DaysAfterCloseSetting} must be a whole number of days from 0, not '{days}'";
            }

            DaysAfterClose = n;
        }

        return null;
    }
}
