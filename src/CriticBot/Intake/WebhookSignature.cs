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
        Span<byte> claimed = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!TryReadDigest(header, claimed))
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, body, actual);
        return CryptographicOperations.FixedTimeEquals(claimed, actual);
    }

    /// <summary>The digest the header claims, decoded into <paramref name="digest"/>; false when the header is malformed.</summary>
    public static bool TryReadDigest(string? header, Span<byte> digest)
    {
        if (!IsWellFormed(header) || digest.Length != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        return Convert.FromHexString(header.AsSpan(Prefix.Length), digest, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == digest.Length;
    }

    /// <summary>Shape check only, so unsigned requests are turned away before their body is read.</summary>
    public static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? header) =>
        header is not null
        && header.Length == Prefix.Length + 2 * HMACSHA256.HashSizeInBytes
        && header.StartsWith(Prefix, StringComparison.Ordinal)
        && !header.AsSpan(Prefix.Length).ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
}
