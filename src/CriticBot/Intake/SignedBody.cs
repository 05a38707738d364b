using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CriticBot.Intake;

/// <summary>How reading a webhook body ended.</summary>
public enum BodyReadOutcome
{
    /// <summary>The whole body arrived and its HMAC matches the signature.</summary>
    Verified,

    /// <summary>The whole body arrived and its HMAC does not match.</summary>
    SignatureMismatch,

    /// <summary>More bytes than the limit arrived (whatever Content-Length said).</summary>
    TooLarge,

    /// <summary>The body grew past the large-body size and every large-body permit is taken.</summary>
    Busy,

    /// <summary>The body did not arrive within the body timeout.</summary>
    TimedOut,

    /// <summary>The client went away or sent a broken body (Kestrel's own checks, such as its minimum data rate).</summary>
    Broken,
}

/// <summary>
/// Reads a request body while computing its HMAC. The buffer starts small and grows (doubling) only as bytes
/// arrive, never from Content-Length; growing past <see cref="WebhookOptions.LargeBodyBytes"/> needs a large-body
/// permit from the request's <see cref="IntakeLimiter.Lease"/>.
/// </summary>
internal static class SignedBody
{
    private const int InitialBufferBytes = 16 * 1024;

    public static async Task<(BodyReadOutcome Outcome, ReadOnlyMemory<byte> Body)> ReadAsync(
        HttpRequest request, byte[] claimedDigest, byte[] secret, WebhookOptions settings, IntakeLimiter.Lease lease, CancellationToken ct)
    {
        // Our own count decides (413 past the limit); Kestrel's default 30 MB cap would otherwise cut in first.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = settings.MaxBodyBytes + 1;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.BodyTimeout);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        // Content-Length may only make the first buffer smaller (an exact fit, plus one byte to see the end).
        var first = (int)Math.Min(Math.Min(InitialBufferBytes, settings.LargeBodyBytes), (request.ContentLength ?? long.MaxValue - 1) + 1);
        var buffer = new byte[Math.Max(first, 1)];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var grown = (int)Math.Min(Math.Max(buffer.Length * 2L, 4096), settings.MaxBodyBytes + 1);
                    if (grown <= buffer.Length)
                    {
                        return (BodyReadOutcome.TooLarge, default);
                    }

                    if (grown > settings.LargeBodyBytes && !lease.TryHoldLargeBody())
                    {
                        return (BodyReadOutcome.Busy, default);
                    }

                    Array.Resize(ref buffer, grown);
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), timeout.Token);
                if (read == 0)
                {
                    break;
                }

                hmac.AppendData(buffer, length, read);
                length += read;
                if (length > settings.MaxBodyBytes)
                {
                    return (BodyReadOutcome.TooLarge, default);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (BodyReadOutcome.TimedOut, default);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (BodyReadOutcome.TooLarge, default);
        }
        catch (Exception ex) when (ex is Microsoft.AspNetCore.Http.BadHttpRequestException or IOException or OperationCanceledException)
        {
            return (BodyReadOutcome.Broken, default);
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(actual);
        return CryptographicOperations.FixedTimeEquals(actual, claimedDigest)
            ? (BodyReadOutcome.Verified, buffer.AsMemory(0, length))
            : (BodyReadOutcome.SignatureMismatch, default);
    }
}
