using System.Collections;

namespace CriticBot.Engine.Diff;

/// <summary>
/// A parsed hunk's lines as a view over the diff's text: per line only where it starts in the source, and its kind and
/// text length packed in one int (two ints a line, read in order without touching the source). The line numbers come
/// from the hunk header and the kinds before it; a <see cref="DiffLine"/> is made on demand and refers to the source,
/// never copies it.
/// </summary>
internal sealed class HunkLines : IReadOnlyList<DiffLine>
{
    private readonly object _source;

    /// <summary>The longest text one line keeps (the rest of a longer line is cut, with a warning).</summary>
    public const int MaxTextLength = (1 << 30) - 1;

    // Per line: [2i] where the line starts in the source (its marker), [2i + 1] its kind (top two bits) and the length
    // of its text after the marker.
    private readonly int[] _lines;
    private readonly int _oldStart;
    private readonly int _newStart;

    // Old and new numbers per line, made on the first indexed access (enumeration numbers lines as it goes).
    private int[]? _numbers;

    public HunkLines(object source, int[] lines, int oldStart, int newStart)
    {
        _source = source;
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

    internal static int Pack(DiffLineKind kind, int textLength) => ((int)kind << 30) | textLength;

    private DiffLineKind KindAt(int index) => (DiffLineKind)((uint)_lines[(2 * index) + 1] >> 30);

    private DiffLine Make(int index, DiffLineKind kind, int oldLine, int newLine)
    {
        // A line of zero text length may have no marker at all; its text is empty either way.
        var length = _lines[(2 * index) + 1] & MaxTextLength;
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
