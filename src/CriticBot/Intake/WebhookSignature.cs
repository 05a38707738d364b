using System.Security.Cryptography;

namespace CriticBot.Intake;

/// <summary>GitHub's X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body keyed with the secret.</summary>
public static class WebhookSignature
{
    private const string Prefix = "sha256=";

    public static string Compute(ReadOnlySpan<byte> body, ReadOnlySpan<byte> secret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    /// <summary>True only for a well-formed header whose digest matches; compared in constant time.</summary>
    public static bool IsValid(ReadOnlySpan<byte> body, string? header, ReadOnlySpan<byte> secret)
    {
        if (!IsWellFormed(header))
        {
            return false;
        }

        Span<byte> claimed = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (Convert.FromHexString(header.AsSpan(Prefix.Length), claimed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != claimed.Length)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, body, actual);
        return CryptographicOperations.FixedTimeEquals(claimed, actual);
    }

    /// <summary>Shape check only, so unsigned requests are turned away before their body is read.</summary>
    public static bool IsWellFormed(string? header) =>
        header is not null
        && header.Length == Prefix.Length + 2 * HMACSHA256.HashSizeInBytes
        && header.StartsWith(Prefix, StringComparison.Ordinal);
}
