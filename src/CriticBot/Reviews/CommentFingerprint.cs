using System.Security.Cryptography;
using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Reviews;

/// <summary>
/// Identifies "a comment on this code": the file, the side and the quoted code with white space removed.
/// A later push that leaves the code as it was yields the same fingerprint, so the bot never says it twice.
/// </summary>
public static class CommentFingerprint
{
    /// <summary>
    /// A hidden mark carried by every posted comment, so GitHub's own copy says what was said: a worker that
    /// died between posting and recording is recovered from it.
    /// </summary>
    public static string Marker(string fingerprint) => $"<!-- criticbot:fp={fingerprint} -->";

    /// <summary>
    /// The fingerprint a comment body carries on its last line, written exactly as <see cref="Marker"/> writes it;
    /// null for comments that are not CriticBot's. A marker anywhere else (in text a model or an author wrote) is
    /// never read.
    /// </summary>
    public static string? FromBody(string? body)
    {
        const string start = "<!-- criticbot:fp=";
        const string end = " -->";
        var line = ReviewBody.LastLine(body);
        if (line is null || line.Length != start.Length + 64 + end.Length
            || !line.StartsWith(start, StringComparison.Ordinal) || !line.EndsWith(end, StringComparison.Ordinal))
        {
            return null;
        }

        var fingerprint = line[start.Length..^end.Length];
        return fingerprint.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f') ? fingerprint : null;
    }

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
