using System.Text;

namespace CriticBot.Engine.Diff;

/// <summary>Reads the paths git writes in diff headers: C-quoted when they hold odd characters, with a/ b/ prefixes.</summary>
internal static class GitPaths
{
    public const string DevNull = "/dev/null";

    /// <summary>
    /// Splits the rest of a <c>diff --git</c> line into its two paths (prefixes still on). Unquoted paths may hold
    /// spaces, so that split is a best guess; the ---/+++ and rename lines, when present, are preferred.
    /// </summary>
    public static (string? Old, string? New) SplitGitHeader(ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty)
            return (null, null);

        if (rest[0] == '"')
        {
            var first = ReadQuoted(rest, out var consumed);
            if (first is null)
                return (null, null);
            var second = rest[consumed..].TrimStart(' ');
            return (first, ReadPathToken(second));
        }

        if (rest[^1] == '"')
        {
            var quoteStart = rest.LastIndexOf(" \"");
            if (quoteStart > 0)
                return (rest[..quoteStart].ToString(), ReadQuoted(rest[(quoteStart + 1)..], out _));
        }

        // Unchanged paths: "a/X b/X" where both halves have the same length.
        if (rest.Length % 2 == 1)
        {
            var middle = rest.Length / 2;
            var left = rest[..middle];
            var right = rest[(middle + 1)..];
            if (rest[middle] == ' ' && SameAfterPrefix(left, right))
                return (left.ToString(), right.ToString());
        }

        var split = rest.IndexOf(" b/");
        if (split < 0)
            split = rest.IndexOf(' ');
        return split < 0 ? (rest.ToString(), null) : (rest[..split].ToString(), rest[(split + 1)..].ToString());
    }

    private static bool SameAfterPrefix(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        if (left.SequenceEqual(right))
            return true;
        return left.Length > 2 && left[1] == '/' && right[1] == '/' && left[2..].SequenceEqual(right[2..]);
    }

    /// <summary>A path from a ---/+++/rename/copy line: quoted, or up to a tab (git and GNU diff append one).</summary>
    public static string? ReadPathToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
            return null;
        if (value[0] == '"')
            return ReadQuoted(value, out _);
        var tab = value.IndexOf('\t');
        if (tab >= 0)
            value = value[..tab];
        return value.IsEmpty ? null : value.ToString();
    }

    /// <summary>Removes git's one-letter source/destination prefix ("a/", "b/") when present.</summary>
    public static string? StripPrefix(string? path, char prefix)
    {
        if (path is null || path == DevNull)
            return path;
        return path.Length > 2 && path[0] == prefix && path[1] == '/' ? path[2..] : path;
    }

    /// <summary>Decodes a C-quoted string as git writes it (octal escapes are UTF-8 bytes); null when malformed.</summary>
    public static string? ReadQuoted(ReadOnlySpan<char> value, out int consumed)
    {
        consumed = 0;
        if (value.IsEmpty || value[0] != '"')
            return null;

        var bytes = new List<byte>(value.Length);
        Span<byte> encoded = stackalloc byte[4];
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                consumed = i + 1;
                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            if (c != '\\')
            {
                // A surrogate pair is encoded as one unit so it does not become two replacement characters.
                var length = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                    ? Encoding.UTF8.GetBytes(value.Slice(i++, 2), encoded)
                    : Encoding.UTF8.GetBytes(value.Slice(i, 1), encoded);
                for (var b = 0; b < length; b++)
                    bytes.Add(encoded[b]);
                continue;
            }

            if (++i >= value.Length)
                return null;
            var escape = value[i];
            if (escape is >= '0' and <= '7')
            {
                var octal = 0;
                var digits = 0;
                while (digits < 3 && i < value.Length && value[i] is >= '0' and <= '7')
                {
                    octal = (octal * 8) + (value[i] - '0');
                    i++;
                    digits++;
                }

                i--;
                bytes.Add((byte)octal);
                continue;
            }

            bytes.Add(escape switch
            {
                'n' => (byte)'\n',
                't' => (byte)'\t',
                'r' => (byte)'\r',
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'v' => 11,
                _ => (byte)escape, // \" \\ and anything git may add later
            });
        }

        return null;
    }
}
