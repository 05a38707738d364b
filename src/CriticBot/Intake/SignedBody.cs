using System.Buffers;
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
/// arrive, never from Content-Length, up to <see cref="WebhookOptions.LargeBodyBytes"/>; past that the request
/// needs a large-body permit from its <see cref="IntakeLimiter.Lease"/>, and the rest is read into pooled 64 KiB
/// segments. One array of the body's exact size is made only once the signature matches, so a body with a wrong
/// signature, however large, allocates nothing that outlives its request.
/// </summary>
internal static class SignedBody
{
    private const int InitialBufferBytes = 16 * 1024;
    private const int SegmentBytes = 64 * 1024;

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
        var head = new byte[Math.Max(first, 1)];
        var headLength = 0;
        var segments = new List<byte[]>();
        var lastSegmentLength = 0;
        long length = 0;
        try
        {
            while (true)
            {
                Memory<byte> target;
                if (segments.Count == 0 && headLength < head.Length)
                {
                    target = head.AsMemory(headLength);
                }
                else if (segments.Count == 0 && head.Length < settings.LargeBodyBytes)
                {
                    Array.Resize(ref head, (int)Math.Min(Math.Max(head.Length * 2L, 4096), settings.LargeBodyBytes));
                    target = head.AsMemory(headLength);
                }
                else if (segments.Count > 0 && lastSegmentLength < SegmentBytes)
                {
                    target = segments[^1].AsMemory(lastSegmentLength, SegmentBytes - lastSegmentLength);
                }
                else
                {
                    if (!lease.TryHoldLargeBody())
                    {
                        return (BodyReadOutcome.Busy, default);
                    }

                    segments.Add(ArrayPool<byte>.Shared.Rent(SegmentBytes));
                    lastSegmentLength = 0;
                    target = segments[^1].AsMemory(0, SegmentBytes);
                }

                var read = await request.Body.ReadAsync(target, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                hmac.AppendData(target.Span[..read]);
                length += read;
                if (segments.Count == 0)
                {
                    headLength += read;
                }
                else
                {
                    lastSegmentLength += read;
                }

                if (length > settings.MaxBodyBytes)
                {
                    return (BodyReadOutcome.TooLarge, default);
                }
            }

            Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
            hmac.GetHashAndReset(actual);
            if (!CryptographicOperations.FixedTimeEquals(actual, claimedDigest))
            {
                return (BodyReadOutcome.SignatureMismatch, default);
            }

            return (BodyReadOutcome.Verified, Join(head, headLength, segments, lastSegmentLength, length));
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
        finally
        {
            foreach (var segment in segments)
            {
                ArrayPool<byte>.Shared.Return(segment);
            }
        }
    }

    private static ReadOnlyMemory<byte> Join(byte[] head, int headLength, List<byte[]> segments, int lastSegmentLength, long length)
    {
        if (segments.Count == 0)
        {
            return head.AsMemory(0, headLength);
        }

        var body = new byte[length];
        head.AsSpan(0, headLength).CopyTo(body);
        var at = headLength;
        for (var i = 0; i < segments.Count; i++)
        {
            var used = i == segments.Count - 1 ? lastSegmentLength : SegmentBytes;
            segments[i].AsSpan(0, used).CopyTo(body.AsSpan(at));
            at += used;
        }

        return body;
    }
}
