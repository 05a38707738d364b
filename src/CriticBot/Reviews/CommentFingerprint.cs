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
