using System.Collections;

namespace CriticBot.Engine.Diff;

/// <summary>
/// A parsed hunk's lines as a view over the diff's text: per line only where it starts in the source and how long its
/// text is (two ints). The kind comes from the line's first character, the line numbers from the hunk header and the
/// kinds before it; a <see cref="DiffLine"/> is made on demand and refers to the source, never copies it.
/// </summary>
internal sealed class HunkLines : IReadOnlyList<DiffLine>
{
    private readonly object _source;

    // The source by type, so that reading a line's marker needs no type test.
    private readonly string? _text;
    private readonly byte[]? _utf8;

    // Per line: [2i] where the line starts in the source (its marker), [2i + 1] the length of its text after the marker.
    private readonly int[] _lines;
    private readonly int _oldStart;
    private readonly int _newStart;

    // Old and new numbers per line, made on the first indexed access (enumeration numbers lines as it goes).
    private int[]? _numbers;

    public HunkLines(object source, int[] lines, int oldStart, int newStart)
    {
        _source = source;
        _text = source as string;
        _utf8 = source as byte[];
        _lines = lines;
        _oldStart = oldStart;
        _newStart = newStart;
    }

    public int Count => _lines.Length / 2;

    public DiffLine this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var numbers = _numbers ??= Number();
            var kind = KindAt(index);
            return Make(index, kind, numbers[2 * index], numbers[(2 * index) + 1]);
        }
    }

    public IEnumerator<DiffLine> GetEnumerator()
    {
        int oldNext = _oldStart, newNext = _newStart;
        for (var i = 0; i < Count; i++)
        {
            var kind = KindAt(i);
            yield return kind switch
            {
                DiffLineKind.Added => Make(i, kind, 0, newNext++),
                DiffLineKind.Removed => Make(i, kind, oldNext++, 0),
                _ => Make(i, kind, oldNext++, newNext++),
            };
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The kind from the marker; a line without one (an empty context line whose space was stripped) is context.</summary>
    internal static DiffLineKind KindOf(int marker) => marker switch
    {
        '+' => DiffLineKind.Added,
        '-' => DiffLineKind.Removed,
        _ => DiffLineKind.Context,
    };

    private DiffLineKind KindAt(int index)
    {
        var start = _lines[2 * index];
        if (_text is not null)
            return start < _text.Length ? KindOf(_text[start]) : DiffLineKind.Context;
        return start < _utf8!.Length ? KindOf(_utf8[start]) : DiffLineKind.Context;
    }

    private DiffLine Make(int index, DiffLineKind kind, int oldLine, int newLine)
    {
        // A line of zero text length may have no marker at all; its text is empty either way.
        var length = _lines[(2 * index) + 1];
        return new DiffLine(kind, oldLine, newLine, _source, length == 0 ? 0 : _lines[2 * index] + 1, length);
    }

    private int[] Number()
    {
        var numbers = new int[_lines.Length];
        int oldNext = _oldStart, newNext = _newStart;
        for (var i = 0; i < Count; i++)
        {
            var kind = KindAt(i);
            numbers[2 * i] = kind == DiffLineKind.Added ? 0 : oldNext++;
            numbers[(2 * i) + 1] = kind == DiffLineKind.Removed ? 0 : newNext++;
        }

        return numbers;
    }
}
