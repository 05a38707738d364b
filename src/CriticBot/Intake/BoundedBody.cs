using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace CriticBot.Intake;

/// <summary>Reads a request body into memory, refusing to hold more than a limit whatever Content-Length says.</summary>
internal static class BoundedBody
{
    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var declared = request.ContentLength;
        if (declared > maxBytes)
        {
            return null;
        }

        // Content-Length is a hint, never trusted: count what actually arrives.
        using var buffer = new MemoryStream(declared is { } length ? (int)length : 16 * 1024);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }
}
