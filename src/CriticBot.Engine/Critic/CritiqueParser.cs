using System.Globalization;
using System.Text.Json;

namespace CriticBot.Engine.Critic;

/// <summary>
/// Reads the critic's answer leniently: raw JSON, JSON in a ```json fence, or JSON inside prose
/// (the first balanced object that has a "comments" member). Unknown fields are ignored; a line
/// may be a number or a numeric string. A truncated or garbage answer is not Ok.
/// </summary>
public static class CritiqueParser
{
    private static readonly JsonDocumentOptions Lenient = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>
    /// Far beyond any honest critique (the output token limit keeps real answers to kilobytes); a server that
    /// sends more is refused rather than searched.
    /// </summary>
    public const int MaxAnswerLength = 1 << 20;

    /// <summary>
    /// The longest quote accepted, in characters: a highlight points at a few lines, and an entry quoting more is left
    /// out (counted as invalid) rather than searched for in the diff.
    /// </summary>
    public const int MaxQuoteLength = 8000;

    /// <summary>The longest comment body kept, in characters (the sanitiser's cap); a longer one is cut and marked "…".</summary>
    public const int MaxBodyLength = 4000;

    /// <summary>The longest path accepted (git's own limit is 4096 bytes); an entry naming a longer one is left out.</summary>
    public const int MaxPathLength = 4096;

    /// <summary>The longest severity label kept as written (it is stored for research); longer ones are cut.</summary>
    public const int MaxSeverityLabelLength = 32;

    /// <summary>The most highlights read from one answer; further entries are counted as invalid.</summary>
    public const int MaxHighlights = 100;

    /// <summary>How many '{' positions inside prose are tried as the start of the JSON object.</summary>
    private const int MaxObjectStarts = 256;

    public static ParsedCritique Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ParsedCritique.Failure("the answer is empty");
        }

        if (text.Length > MaxAnswerLength)
        {
            return ParsedCritique.Failure($"the answer is {text.Length} characters long, over the {MaxAnswerLength} a critique may have");
        }

        string? lastError = null;
        foreach (var candidate in Candidates(text))
        {
            var result = TryParseDocument(candidate);
            if (result is { Ok: true })
            {
                return result;
            }

            lastError ??= result?.Error;
        }

        return ParsedCritique.Failure(lastError ?? "no complete JSON object with a \"comments\" array was found (truncated or not JSON)");
    }

    /// <summary>The whole text, then each fenced block, then each balanced {...} in order.</summary>
    private static IEnumerable<string> Candidates(string text)
    {
        yield return text.Trim();
        foreach (var fenced in FencedBlocks(text))
        {
            yield return fenced;
        }

        // Each start scans to its balanced end, so the starts are bounded: unbalanced text cannot make this quadratic.
        var starts = 0;
        for (var start = text.IndexOf('{', StringComparison.Ordinal); start >= 0 && starts++ < MaxObjectStarts; start = text.IndexOf('{', start + 1))
        {
            var end = FindBalancedEnd(text, start);
            if (end > start)
            {
                yield return text[start..(end + 1)];
            }
        }
    }

    private static IEnumerable<string> FencedBlocks(string text)
    {
        var searchFrom = 0;
        while (true)
        {
            var open = text.IndexOf("```", searchFrom, StringComparison.Ordinal);
            if (open < 0)
            {
                yield break;
            }

            var contentStart = text.IndexOf('\n', open);
            if (contentStart < 0)
            {
                yield break;
            }

            var close = text.IndexOf("```", contentStart, StringComparison.Ordinal);
            if (close < 0)
            {
                yield break;
            }

            yield return text[(contentStart + 1)..close];
            searchFrom = close + 3;
        }
    }

    /// <summary>The index of the brace that closes the object opened at <paramref name="start"/>, or -1.</summary>
    private static int FindBalancedEnd(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    private static ParsedCritique? TryParseDocument(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Lenient);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement comments;
            if (root.ValueKind == JsonValueKind.Array)
            {
                comments = root;
            }
            else if (root.ValueKind == JsonValueKind.Object && TryGetProperty(root, "comments", out comments))
            {
                if (comments.ValueKind != JsonValueKind.Array)
                {
                    return ParsedCritique.Failure("\"comments\" is not an array");
                }
            }
            else
            {
                return null;
            }

            var highlights = new List<RawHighlight>();
            var invalid = 0;
            foreach (var entry in comments.EnumerateArray())
            {
                var highlight = highlights.Count < MaxHighlights ? ReadHighlight(entry) : null;
                if (highlight is null)
                {
                    invalid++;
                }
                else
                {
                    highlights.Add(highlight);
                }
            }

            return new ParsedCritique { Ok = true, Highlights = highlights, InvalidEntries = invalid };
        }
    }

    private static RawHighlight? ReadHighlight(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var path = ReadString(entry, "path") ?? ReadString(entry, "file");
        var quote = ReadString(entry, "quote") ?? ReadString(entry, "code");
        var body = ReadString(entry, "body") ?? ReadString(entry, "comment");
        if (string.IsNullOrWhiteSpace(path) || string.IsNullOrWhiteSpace(quote) || string.IsNullOrWhiteSpace(body)
            || path.Length > MaxPathLength || quote.Length > MaxQuoteLength)
        {
            return null;
        }

        var label = Cap(ReadString(entry, "severity"), MaxSeverityLabelLength);
        var line = ReadInt(entry, "line") ?? ReadInt(entry, "start_line");
        var endLine = ReadInt(entry, "end_line");
        return new RawHighlight
        {
            Path = path.Trim(),
            Line = line,
            EndLine = endLine,
            Quote = quote,
            Severity = SeverityNames.Parse(label),
            SeverityLabel = label,
            Body = Cap(body.Trim(), MaxBodyLength)!,
        };
    }

    /// <summary>The text cut to <paramref name="max"/> characters (ending in "…"), never inside a surrogate pair.</summary>
    private static string? Cap(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text;
        }

        var cut = max - 1;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return text[..cut] + "…";
    }

    private static bool TryGetProperty(JsonElement obj, string name, out JsonElement value)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string? ReadString(JsonElement obj, string name) =>
        TryGetProperty(obj, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? ReadInt(JsonElement obj, string name)
    {
        if (!TryGetProperty(obj, name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number > 0 ? number : null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var real) && real >= 1 && real <= int.MaxValue)
        {
            return (int)real;
        }

        if (value.ValueKind == JsonValueKind.String
            && int.TryParse(value.GetString()?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed > 0 ? parsed : null;
        }

        return null;
    }
}
