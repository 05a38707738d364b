using System.Collections.Concurrent;
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
    // Pre-tokens longer than this are counted directly and not remembered; past MaxEntries the cache starts afresh, so
    // a hostile diff of endless distinct words cannot grow it without bound (nor freeze it full of useless entries).
    private const int MaxCachedLength = 64;
    private const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _added;

    public int Count(ReadOnlySpan<char> text)
    {
        if (!System.Text.Ascii.IsValid(text) || text.Contains("<|", StringComparison.Ordinal))
            return tokenizer.CountTokens(text);

        var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var total = 0;
        for (var start = 0; start < text.Length;)
        {
            var end = PreTokenEnd(text, start);
            var piece = text[start..end];
            if (piece.Length > MaxCachedLength)
                total += tokenizer.CountTokens(piece);
            else if (lookup.TryGetValue(piece, out var count))
                total += count;
            else
            {
                count = tokenizer.CountTokens(piece);
                if (Interlocked.Increment(ref _added) > MaxEntries)
                {
                    _counts.Clear();
                    Interlocked.Exchange(ref _added, 0);
                }

                lookup.TryAdd(piece, count);
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
    internal static int PreTokenEnd(ReadOnlySpan<char> s, int i)
    {
        var c = s[i];

        // A word, with one optional leading character that is not a line break, letter or digit.
        var j = i;
        if (!char.IsAsciiLetter(c) && !char.IsAsciiDigit(c) && c is not ('\r' or '\n') && i + 1 < s.Length && char.IsAsciiLetter(s[i + 1]))
            j = i + 1;
        if (char.IsAsciiLetter(s[j]))
        {
            // Upper case then lower case (the first form), or upper case alone (the second): either way the word runs
            // over the capitals and then the small letters after them.
            var end = j;
            while (end < s.Length && char.IsAsciiLetterUpper(s[end]))
                end++;
            while (end < s.Length && char.IsAsciiLetterLower(s[end]))
                end++;
            return end + ContractionLength(s, end);
        }

        if (char.IsAsciiDigit(c))
        {
            var end = i + 1;
            while (end < s.Length && end - i < 3 && char.IsAsciiDigit(s[end]))
                end++;
            return end;
        }

        // Punctuation, with an optional leading space, then any line breaks and slashes.
        var p = c == ' ' ? i + 1 : i;
        if (p < s.Length && IsPunctuation(s[p]))
        {
            var end = p + 1;
            while (end < s.Length && IsPunctuation(s[end]))
                end++;
            while (end < s.Length && s[end] is '\r' or '\n' or '/')
                end++;
            return end;
        }

        // Whitespace (c is whitespace here: every other ASCII character was taken above).
        var runEnd = i + 1;
        while (runEnd < s.Length && IsWhitespace(s[runEnd]))
            runEnd++;
        var lastBreak = s[i..runEnd].LastIndexOfAny('\r', '\n');
        if (lastBreak >= 0)
            return i + lastBreak + 1;
        if (runEnd == s.Length || runEnd - i == 1)
            return runEnd;
        return runEnd - 1;
    }

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

    // .NET's \s on ASCII: space, \t, \n, \v, \f, \r.
    private static bool IsWhitespace(char c) => c is ' ' or (>= '\t' and <= '\r');

    private static bool IsPunctuation(char c) => !IsWhitespace(c) && !char.IsAsciiLetterOrDigit(c);
}
