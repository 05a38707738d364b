using System.Buffers;
using System.Text;

namespace CriticBot.Engine.Diff;

/// <summary>
/// Parses git's unified diff format: <c>git diff</c> (also <c>-M -C</c>), <c>git format-patch</c> mail,
/// GitHub's <c>.diff</c> media type, and GitHub's per-file <c>patch</c> strings. Never throws on bad input:
/// what it cannot make sense of is skipped and reported in <see cref="ParsedDiff.Warnings"/>.
/// </summary>
/// <remarks>
/// One pass over the input, line by line; the only allocations are one string per line text, one exact-size
/// array per hunk and the small per-file records.
/// </remarks>
public static class DiffParser
{
    private const int MaxStackLineChars = 512;

    public static ParsedDiff Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
            return ParsedDiff.Empty;

        var builder = new DiffBuilder();
        FeedLines(builder, text);
        return builder.Finish();
    }

    private static void FeedLines(DiffBuilder builder, ReadOnlySpan<char> rest)
    {
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf('\n');
            ReadOnlySpan<char> line;
            if (newline < 0)
            {
                line = rest;
                rest = default;
            }
            else
            {
                line = rest[..newline];
                rest = rest[(newline + 1)..];
            }

            builder.AcceptLine(TrimCarriageReturn(line));
        }
    }

    /// <summary>Parses UTF-8 bytes; invalid sequences become U+FFFD instead of failing.</summary>
    public static ParsedDiff Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
            utf8 = utf8[3..];
        if (utf8.IsEmpty)
            return ParsedDiff.Empty;

        var builder = new DiffBuilder();
        char[]? rented = null;
        Span<char> stackBuffer = stackalloc char[MaxStackLineChars];
        try
        {
            while (!utf8.IsEmpty)
            {
                var newline = utf8.IndexOf((byte)'\n');
                ReadOnlySpan<byte> line;
                if (newline < 0)
                {
                    line = utf8;
                    utf8 = default;
                }
                else
                {
                    line = utf8[..newline];
                    utf8 = utf8[(newline + 1)..];
                }

                if (!line.IsEmpty && line[^1] == (byte)'\r')
                    line = line[..^1];

                // '\n' never occurs inside a multi-byte UTF-8 sequence, so decoding line by line equals decoding
                // the whole input, without ever holding a second copy of it.
                var buffer = stackBuffer;
                if (line.Length > MaxStackLineChars)
                {
                    if (rented is null || rented.Length < line.Length)
                    {
                        if (rented is not null)
                            ArrayPool<char>.Shared.Return(rented);
                        rented = ArrayPool<char>.Shared.Rent(line.Length);
                    }

                    buffer = rented;
                }

                // A UTF-8 byte decodes to at most one UTF-16 char (4-byte sequences give 2 chars), so
                // line.Length chars always suffice, replacement characters included.
                var length = Encoding.UTF8.GetChars(line, buffer);
                builder.AcceptLine(buffer[..length]);
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<char>.Shared.Return(rented);
        }

        return builder.Finish();
    }

    /// <summary>
    /// Parses one entry of GitHub's pull-request files API: <paramref name="patch"/> holds hunks only, no headers.
    /// A null or empty patch (binary, too large, or rename without changes) gives a file with no hunks.
    /// </summary>
    /// <param name="warnings">Receives what could not be parsed, when given.</param>
    public static FileDiff ParseFilePatch(
        string path,
        string? patch,
        string? previousPath = null,
        FileChangeKind kind = FileChangeKind.Modified,
        ICollection<string>? warnings = null)
    {
        var builder = new DiffBuilder();
        builder.StartHeaderlessFile(path, previousPath, kind);
        if (!string.IsNullOrEmpty(patch))
            FeedLines(builder, patch);

        var parsed = builder.Finish();
        if (warnings is not null)
        {
            foreach (var warning in parsed.Warnings)
                warnings.Add(warning);
        }

        return parsed.Files.Count > 0
            ? parsed.Files[0]
            : new FileDiff { Path = path, OldPath = kind == FileChangeKind.Added ? null : previousPath ?? path, Kind = kind };
    }

    private static ReadOnlySpan<char> TrimCarriageReturn(ReadOnlySpan<char> line) =>
        !line.IsEmpty && line[^1] == '\r' ? line[..^1] : line;
}
