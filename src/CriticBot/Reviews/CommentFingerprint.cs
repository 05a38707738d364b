using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CriticBot.Engine.Diff;

namespace CriticBot.Reviews;

/// <summary>
/// Identifies "a comment on this code": the file, the side and the quoted code with white space removed.
/// A later push that leaves the code as it was yields the same fingerprint, so the bot never says it twice.
/// </summary>
public static partial class CommentFingerprint
{
    /// <summary>
    /// A hidden mark carried by every posted comment, so GitHub's own copy says what was said: a worker that
    /// died between posting and recording is recovered from it.
    /// </summary>
    public static string Marker(string fingerprint) => $"<!-- criticbot:fp={fingerprint} -->";

    /// <summary>The fingerprint a comment body carries, or null for comments that are not CriticBot's.</summary>
    public static string? FromBody(string? body)
    {
        var match = body is null ? Match.Empty : MarkerPattern().Match(body);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex("<!-- criticbot:fp=([0-9a-f]{64}) -->")]
    private static partial Regex MarkerPattern();

    public static string Of(string path, DiffSide side, string quote)
    {
        var builder = new StringBuilder(path.Length + quote.Length + 8);
        builder.Append(path).Append('\n').Append(side == DiffSide.Right ? 'R' : 'L').Append('\n');
        foreach (var c in quote)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }
}
