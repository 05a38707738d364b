using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace CriticBot.Engine.Diff;

/// <summary>
/// Parses git's unified diff format: <c>git diff</c> (also <c>-M -C</c>), <c>git format-patch</c> mail,
/// GitHub's <c>.diff</c> media type, and GitHub's per-file <c>patch</c> strings. Never throws on bad input:
/// what it cannot make sense of is skipped and reported in <see cref="ParsedDiff.Warnings"/>.
/// </summary>
/// <remarks>
/// One pass over the input, line by line (vectorised search for line breaks). Hunk lines are not copied: the parsed
/// model refers to the input (two ints per line, see <see cref="DiffLine"/>), so the only allocations are those
/// positions, one small object per hunk and the per-file records; only header lines are decoded.
/// </remarks>
public static class DiffParser
{
    private const int MaxStackLineChars = 512;

    public static ParsedDiff Parse(string text)
    {
        if (string.IsNullOrEmpty(text))
            return ParsedDiff.Empty;

        var builder = new DiffBuilder(text);
        FeedLines(builder, text);
        return builder.Finish();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FeedLines(DiffBuilder builder, string text)
    {
        var all = text.AsSpan();
        var position = 0;
        while (position < all.Length)
        {
            var rest = all[position..];
            var newline = rest.IndexOf('\n');
            var line = newline < 0 ? rest : rest[..newline];
            if (!line.IsEmpty && line[^1] == '\r')
                line = line[..^1];
            if (!builder.TryAcceptBodyLine(line.IsEmpty ? ' ' : line[0], position, line.IsEmpty ? 0 : line.Length - 1))
                builder.AcceptOtherLine(line);
            position += newline < 0 ? rest.Length : newline + 1;
        }
    }

    /// <summary>
    /// Parses UTF-8 bytes; invalid sequences become U+FFFD (when a line's text is read) instead of failing. The parsed
    /// diff refers to <paramref name="utf8"/>, which must not change afterwards.
    /// </summary>
    public static ParsedDiff Parse(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        return ParseUtf8(utf8, 0, utf8.Length);
    }

    /// <summary>As <see cref="Parse(byte[])"/>; refers to the memory's array when it has one (else copies it once).</summary>
    public static ParsedDiff Parse(ReadOnlyMemory<byte> utf8) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(utf8, out var segment) && segment.Array is not null
            ? ParseUtf8(segment.Array, segment.Offset, segment.Count)
            : ParseUtf8(utf8.ToArray(), 0, utf8.Length);

    /// <summary>As <see cref="Parse(byte[])"/> on a copy of the bytes (the parsed diff must outlive the span).</summary>
    public static ParsedDiff Parse(ReadOnlySpan<byte> utf8) => ParseUtf8(utf8.ToArray(), 0, utf8.Length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ParsedDiff ParseUtf8(byte[] source, int start, int length)
    {
        var position = start;
        var end = start + length;
        if (source.AsSpan(start, length).StartsWith("\uFEFF"u8))
            position += 3;
        if (position >= end)
            return ParsedDiff.Empty;

        var builder = new DiffBuilder(source);
        char[]? rented = null;
        Span<char> stackBuffer = stackalloc char[MaxStackLineChars];
        try
        {
            while (position < end)
            {
                var rest = source.AsSpan(position, end - position);
                var newline = rest.IndexOf((byte)'\n');
                var line = newline < 0 ? rest : rest[..newline];
                if (!line.IsEmpty && line[^1] == (byte)'\r')
                    line = line[..^1];

                if (!builder.TryAcceptBodyLine(line.IsEmpty ? ' ' : line[0], position, line.IsEmpty ? 0 : line.Length - 1))
                {
                    // Only lines that are not hunk text are decoded. '\n' never occurs inside a multi-byte UTF-8
                    // sequence, so decoding line by line equals decoding the whole input.
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
                    builder.AcceptOtherLine(buffer[..Encoding.UTF8.GetChars(line, buffer)]);
                }

                position += newline < 0 ? rest.Length : newline + 1;
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
        var builder = new DiffBuilder(patch ?? "");
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
}
