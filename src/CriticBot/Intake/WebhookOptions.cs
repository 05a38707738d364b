using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CriticBot.Intake;

/// <summary>Webhook intake settings, bound from the root configuration so the env names work as-is.</summary>
public sealed class WebhookOptions
{
    public const long DefaultMaxBodyBytes = 25L * 1024 * 1024;

    /// <summary>The secret configured in the GitHub App; every delivery's HMAC is checked against it.</summary>
    [ConfigurationKeyName("GITHUB_WEBHOOK_SECRET")]
    public string Secret { get; set; } = "";

    /// <summary>GitHub caps payloads at 25 MB; anything larger is not GitHub.</summary>
    [ConfigurationKeyName("CRITICBOT_WEBHOOK_MAX_BODY_BYTES")]
    public long MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    /// <summary>
    /// Webhook requests read at once; more are answered 503 with Retry-After at once. Each holds at most
    /// <see cref="LargeBodyBytes"/> unless it also holds one of the <see cref="MaxConcurrentLargeBodies"/> permits.
    /// </summary>
    [ConfigurationKeyName("CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS")]
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Requests whose body is (or is announced as) over <see cref="LargeBodyBytes"/> read at once.</summary>
    [ConfigurationKeyName("CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES")]
    public int MaxConcurrentLargeBodies { get; set; } = 4;

    /// <summary>Bodies up to this size need no large-body permit (most GitHub deliveries are far smaller).</summary>
    [ConfigurationKeyName("CRITICBOT_WEBHOOK_LARGE_BODY_BYTES")]
    public int LargeBodyBytes { get; set; } = 256 * 1024;

    /// <summary>The whole body must arrive within this time (GitHub itself gives up after 10 seconds).</summary>
    [ConfigurationKeyName("CRITICBOT_WEBHOOK_BODY_TIMEOUT_SECONDS")]
    public double BodyTimeoutSeconds { get; set; } = 20;

    public TimeSpan BodyTimeout => TimeSpan.FromSeconds(BodyTimeoutSeconds);
}

public sealed class WebhookOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // No App configured at all: the first-run page registers one; until then intake answers 503.
        if (string.IsNullOrWhiteSpace(options.Secret) && !(configuration is not null && CriticBot.GitHub.GitHubAppOptions.IsNothingConfigured(configuration)))
        {
            // Never run unsigned: without a secret anyone could enqueue deliveries.
            return ValidateOptionsResult.Fail("GITHUB_WEBHOOK_SECRET is not set: set it to the webhook secret of the GitHub App.");
        }

        if (options.MaxBodyBytes is < 1024 or > 100L * 1024 * 1024)
        {
            return ValidateOptionsResult.Fail("CRITICBOT_WEBHOOK_MAX_BODY_BYTES must be between 1024 and 104857600.");
        }

        if (options.MaxConcurrentRequests is < 1 or > 100_000)
        {
            return ValidateOptionsResult.Fail("CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS must be between 1 and 100000.");
        }

        if (options.MaxConcurrentLargeBodies < 1 || options.MaxConcurrentLargeBodies > options.MaxConcurrentRequests)
        {
            return ValidateOptionsResult.Fail("CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES must be between 1 and CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS.");
        }

        if (options.LargeBodyBytes < 1024 || options.LargeBodyBytes > options.MaxBodyBytes)
        {
            return ValidateOptionsResult.Fail("CRITICBOT_WEBHOOK_LARGE_BODY_BYTES must be between 1024 and CRITICBOT_WEBHOOK_MAX_BODY_BYTES.");
        }

        if (!double.IsFinite(options.BodyTimeoutSeconds) || options.BodyTimeoutSeconds is < 1 or > 600)
        {
            return ValidateOptionsResult.Fail("CRITICBOT_WEBHOOK_BODY_TIMEOUT_SECONDS must be between 1 and 600.");
        }

        return ValidateOptionsResult.Success;
    }
}
