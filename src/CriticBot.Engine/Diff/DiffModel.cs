using System.Text;

namespace CriticBot.Engine.Diff;

/// <summary>GitHub's two sides of a diff: LEFT is the old file, RIGHT the new one.</summary>
public enum DiffSide
{
    Left,
    Right,
}

public enum DiffLineKind
{
    Context,
    Added,
    Removed,
}

/// <summary>
/// One line of a hunk. A number is 0 where the line has none on that side. A parsed line refers to the diff's own
/// text (a string, or the UTF-8 bytes it was read from) instead of holding a copy: <see cref="Text"/> makes a string
/// only when asked, so parsing a large diff allocates a few bytes per line, not the text again.
/// </summary>
public readonly struct DiffLine : IEquatable<DiffLine>
{
    // A string (UTF-16) or a byte[] (UTF-8); null only for default(DiffLine), whose text is empty.
    private readonly object? _source;
    private readonly int _start;
    private readonly int _length;

    public DiffLine(DiffLineKind kind, int oldLine, int newLine, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Kind = kind;
        OldLine = oldLine;
        NewLine = newLine;
        _source = text;
        _start = 0;
        _length = text.Length;
    }

    /// <summary>A line whose text is <paramref name="length"/> chars (string) or bytes (byte[]) of <paramref name="source"/> at <paramref name="start"/>.</summary>
    internal DiffLine(DiffLineKind kind, int oldLine, int newLine, object source, int start, int length)
    {
        Kind = kind;
        OldLine = oldLine;
        NewLine = newLine;
        _source = source;
        _start = start;
        _length = length;
    }

    public DiffLineKind Kind { get; init; }
    public int OldLine { get; init; }
    public int NewLine { get; init; }

    /// <summary>The text after the marker, without the line break; made on each call unless the line was built from a string.</summary>
    public string Text
    {
        get => _source switch
        {
            string text when _start == 0 && _length == text.Length => text,
            string text => text.Substring(_start, _length),
            byte[] utf8 => Encoding.UTF8.GetString(utf8, _start, _length),
            _ => "",
        };
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _source = value;
            _start = 0;
            _length = value.Length;
        }
    }

    /// <summary>True when the text is empty (no string is made).</summary>
    public bool IsTextEmpty => _length == 0;

    /// <summary>The text as UTF-16 without a copy, when the line refers to a string.</summary>
    internal bool TryGetChars(out ReadOnlySpan<char> chars)
    {
        if (_source is string text)
        {
            chars = text.AsSpan(_start, _length);
            return true;
        }

        chars = _source is null ? [] : default;
        return _source is null;
    }

    /// <summary>The text as UTF-8 without a copy, when the line refers to bytes.</summary>
    internal bool TryGetUtf8(out ReadOnlySpan<byte> utf8)
    {
        if (_source is byte[] bytes)
        {
            utf8 = bytes.AsSpan(_start, _length);
            return true;
        }

        utf8 = default;
        return false;
    }

    /// <summary>The most chars the text can take (its length in the source: UTF-16 chars or UTF-8 bytes).</summary>
    internal int MaxTextChars => _length;

    /// <summary>Writes the text into <paramref name="destination"/> (at least <see cref="MaxTextChars"/> long); returns the chars written.</summary>
    internal int CopyTextTo(Span<char> destination)
    {
        if (TryGetChars(out var chars))
        {
            chars.CopyTo(destination);
            return chars.Length;
        }

        TryGetUtf8(out var utf8);
        return Encoding.UTF8.GetChars(utf8, destination);
    }

    /// <summary>Appends the text, decoding UTF-8 straight into the builder's room (no intermediate string for short lines).</summary>
    internal void AppendTextTo(StringBuilder builder)
    {
        if (TryGetChars(out var chars))
        {
            builder.Append(chars);
            return;
        }

        TryGetUtf8(out var utf8);
        if (utf8.Length <= MaxStackDecode)
        {
            Span<char> buffer = stackalloc char[MaxStackDecode];
            builder.Append(buffer[..Encoding.UTF8.GetChars(utf8, buffer)]);
        }
        else
            builder.Append(Text);
    }

    private const int MaxStackDecode = 512;

    /// <summary>The line number on <paramref name="side"/>, or 0 when the line is not on it.</summary>
    public int LineOn(DiffSide side) => side == DiffSide.Right ? NewLine : OldLine;

    public bool Equals(DiffLine other)
    {
        if (Kind != other.Kind || OldLine != other.OldLine || NewLine != other.NewLine)
            return false;
        if (TryGetChars(out var mine) && other.TryGetChars(out var theirs))
            return mine.SequenceEqual(theirs);
        if (TryGetUtf8(out var myBytes) && other.TryGetUtf8(out var theirBytes))
            return myBytes.SequenceEqual(theirBytes);
        return string.Equals(Text, other.Text, StringComparison.Ordinal);
    }

    public override bool Equals(object? obj) => obj is DiffLine other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, OldLine, NewLine, string.GetHashCode(Text, StringComparison.Ordinal));

    public override string ToString() => $"DiffLine {{ Kind = {Kind}, OldLine = {OldLine}, NewLine = {NewLine}, Text = {Text} }}";

    public static bool operator ==(DiffLine left, DiffLine right) => left.Equals(right);

    public static bool operator !=(DiffLine left, DiffLine right) => !left.Equals(right);
}

public sealed record DiffHunk
{
    public required int OldStart { get; init; }
    public required int OldCount { get; init; }
    public required int NewStart { get; init; }
    public required int NewCount { get; init; }

    /// <summary>The text after the second <c>@@</c> (often the enclosing function).</summary>
    public string Section { get; init; } = "";

    public required IReadOnlyList<DiffLine> Lines { get; init; }
}

public enum FileChangeKind
{
    Modified,
    Added,
    Deleted,
    Renamed,
    Copied,
}

public sealed record FileDiff
{
    /// <summary>The path on the RIGHT side, or the old path for a deleted file.</summary>
    public required string Path { get; init; }

    /// <summary>The path before the change; equals <see cref="Path"/> unless renamed or copied; null for added files.</summary>
    public string? OldPath { get; init; }

    public FileChangeKind Kind { get; init; } = FileChangeKind.Modified;
    public bool IsBinary { get; init; }
    public string? OldMode { get; init; }
    public string? NewMode { get; init; }

    /// <summary>The similarity index of a rename or copy, in percent.</summary>
    public int? Similarity { get; init; }

    public IReadOnlyList<DiffHunk> Hunks { get; init; } = [];

    public int Additions { get; init; }
    public int Deletions { get; init; }

    /// <summary>True when only the file mode changed (no hunks, not binary).</summary>
    public bool IsModeOnly => !IsBinary && Hunks.Count == 0 && OldMode is not null && NewMode is not null && OldMode != NewMode;
}

public sealed record ParsedDiff
{
    public required IReadOnlyList<FileDiff> Files { get; init; }

    /// <summary>What the parser could not make sense of and skipped (never thrown).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static ParsedDiff Empty { get; } = new() { Files = [] };
}
