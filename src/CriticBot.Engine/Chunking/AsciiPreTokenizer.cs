using System.Runtime.CompilerServices;
using Microsoft.ML.Tokenizers;

namespace CriticBot.Engine.Chunking;

/// <summary>
/// Exact o200k token counts for ASCII text, fast: o200k cuts text into pre-tokens with a regular expression and
/// encodes each pre-token on its own, so the count of a text is the sum of its pre-tokens' counts. This splits ASCII
/// text exactly as that expression does (hand-written, no regex) and remembers each distinct pre-token's count, asking
/// the tokenizer only for pre-tokens it has not seen. Code repeats its words, so after a few files nearly every
/// pre-token is a dictionary hit. Text with a non-ASCII character, or with "&lt;|" (a special token may start there),
/// is counted by the tokenizer itself. Equality with the tokenizer is tested on varied and random text.
/// </summary>
internal sealed class AsciiPreTokenizer(TiktokenTokenizer tokenizer)
{
    // Pre-tokens longer than this are counted directly and not remembered.
    private const int MaxCachedLength = 32;

    // Each thread keeps its own table (no locks while counting a diff on every core); at most 64 K entries, a few MB.
    [ThreadStatic]
    private static PreTokenTable? t_table;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Count(ReadOnlySpan<char> text)
    {
        if (!System.Text.Ascii.IsValid(text) || text.Contains("<|", StringComparison.Ordinal))
            return tokenizer.CountTokens(text);

        var table = t_table ??= new PreTokenTable();
        var total = 0;
        for (var start = 0; start < text.Length;)
        {
            var end = PreTokenEnd(text, start);
            var piece = text[start..end];
            if (piece.Length > MaxCachedLength)
                total += tokenizer.CountTokens(piece);
            else
            {
                var count = table.Find(piece);
                if (count < 0)
                {
                    count = tokenizer.CountTokens(piece);
                    table.Add(piece, count);
                }

                total += count;
            }

            start = end;
        }

        return total;
    }

    /// <summary>
    /// Where the pre-token starting at <paramref name="i"/> ends, for ASCII text, following o200k's expression:
    /// <c>[^\r\n\p{L}\p{N}]?[\p{Lu}..]*[\p{Ll}..]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c>,
    /// <c>[^\r\n\p{L}\p{N}]?[\p{Lu}..]+[\p{Ll}..]*(?i:'s|...)?</c>, <c>\p{N}{1,3}</c>,
    /// <c> ?[^\s\p{L}\p{N}]+[\r\n/]*</c>, <c>\s*[\r\n]+</c>, <c>\s+(?!\S)</c>, <c>\s+</c> (first that matches wins).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int PreTokenEnd(ReadOnlySpan<char> s, int i)
    {
        var c = s[i];
        var kind = ClassOf(c);

        // A word, with one optional leading character that is not a line break, letter or digit.
        var j = i;
        if (kind >= Space && kind != LineBreak && i + 1 < s.Length && ClassOf(s[i + 1]) <= Lower)
            j = i + 1;
        if (ClassOf(s[j]) <= Lower)
        {
            // Upper case then lower case (the first form), or upper case alone (the second): either way the word runs
            // over the capitals and then the small letters after them.
            var end = j;
            while (end < s.Length && ClassOf(s[end]) == Upper)
                end++;
            while (end < s.Length && ClassOf(s[end]) == Lower)
                end++;
            return end < s.Length && s[end] == '\'' ? end + ContractionLength(s, end) : end;
        }

        if (kind == Digit)
        {
            var end = i + 1;
            while (end < s.Length && end - i < 3 && ClassOf(s[end]) == Digit)
                end++;
            return end;
        }

        // Punctuation, with an optional leading space, then any line breaks and slashes.
        var p = kind == Space ? i + 1 : i;
        if (p < s.Length && ClassOf(s[p]) == Punctuation)
        {
            var end = p + 1;
            while (end < s.Length && ClassOf(s[end]) == Punctuation)
                end++;
            while (end < s.Length && s[end] is '\r' or '\n' or '/')
                end++;
            return end;
        }

        // Whitespace (every other ASCII character was taken above).
        var runEnd = i + 1;
        while (runEnd < s.Length && ClassOf(s[runEnd]) is Space or LineBreak or OtherSpace)
            runEnd++;
        var lastBreak = s[i..runEnd].LastIndexOfAny('\r', '\n');
        if (lastBreak >= 0)
            return i + lastBreak + 1;
        if (runEnd == s.Length || runEnd - i == 1)
            return runEnd;
        return runEnd - 1;
    }

    // Character classes of ASCII, in an order the tests above rely on (letters first, then the rest).
    private const byte Upper = 0, Lower = 1, Digit = 2, Space = 3, LineBreak = 4, OtherSpace = 5, Punctuation = 6;

    private static byte ClassOf(char c) => Classes[c & 0x7F];

    // .NET's \s on ASCII is space, \t, \n, \v, \f and \r; everything else that is not a letter or digit is punctuation
    // to o200k (control characters included).
    private static ReadOnlySpan<byte> Classes =>
    [
        6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 4, 5, 5, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
        3, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 6, 6, 6, 6, 6, 6,
        6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6,
        6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 6, 6, 6, 6,
    ];

    private static int ContractionLength(ReadOnlySpan<char> s, int at)
    {
        if (at + 1 >= s.Length || s[at] != '\'')
            return 0;
        var first = char.ToLowerInvariant(s[at + 1]);
        if (first is 's' or 't' or 'm' or 'd')
            return 2;
        if (at + 2 < s.Length)
        {
            var second = char.ToLowerInvariant(s[at + 2]);
            if ((first, second) is ('r', 'e') or ('v', 'e') or ('l', 'l'))
                return 3;
        }

        return 0;
    }


    /// <summary>
    /// Pre-token counts by text: open addressing, a seeded hash, at most <see cref="MaxProbes"/> probes and
    /// <see cref="MaxEntries"/> entries (then it starts afresh). A hostile diff of colliding or endless distinct words
    /// therefore costs at most what asking the tokenizer for every pre-token costs, never more memory or time.
    /// </summary>
    private sealed class PreTokenTable
    {
        private const int MaxProbes = 8;
        private const int MaxEntries = 1 << 16;
        private readonly uint _seed = (uint)Random.Shared.Next();

        private string?[] _keys = new string?[1 << 12];
        private int[] _counts = new int[1 << 12];
        private int _entries;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(ReadOnlySpan<char> piece)
        {
            var mask = _keys.Length - 1;
            var slot = (int)Hash(piece) & mask;
            for (var probe = 0; probe < MaxProbes; probe++)
            {
                var key = _keys[slot];
                if (key is null)
                    return -1;
                if (piece.SequenceEqual(key))
                    return _counts[slot];
                slot = (slot + 1) & mask;
            }

            return -1;
        }

        public void Add(ReadOnlySpan<char> piece, int count)
        {
            if (_entries >= MaxEntries)
            {
                Array.Clear(_keys);
                _entries = 0;
            }
            else if (_entries * 2 >= _keys.Length)
                Grow();

            Insert(piece.ToString(), count);
        }

        private void Insert(string key, int count)
        {
            var mask = _keys.Length - 1;
            var slot = (int)Hash(key) & mask;
            for (var probe = 0; probe < MaxProbes; probe++)
            {
                if (_keys[slot] is null)
                {
                    _keys[slot] = key;
                    _counts[slot] = count;
                    _entries++;
                    return;
                }

                slot = (slot + 1) & mask;
            }

            // A crowded run of slots: this pre-token is simply not remembered.
        }

        private void Grow()
        {
            var keys = _keys;
            var counts = _counts;
            _keys = new string?[keys.Length * 2];
            _counts = new int[keys.Length * 2];
            _entries = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                if (keys[i] is { } key)
                    Insert(key, counts[i]);
            }
        }

        // FNV-1a from a per-process random start: cheap on pre-tokens of a few characters.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Hash(ReadOnlySpan<char> text)
        {
            var hash = 2166136261u ^ _seed;
            foreach (var c in text)
                hash = (hash ^ c) * 16777619u;
            return hash ^ (hash >> 15);
        }
    }
}
