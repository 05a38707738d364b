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

        return ValidateOptionsResult.Success;
    }
}
