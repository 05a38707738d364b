using System.Text.Encodings.Web;
using System.Text.Json;

namespace CriticBot.Export.Files;

/// <summary>The one set of JSON options for exported rows: compact, names as the rows' [JsonPropertyName] say.</summary>
public static class ExportJson
{
    /// <summary>
    /// One line per row: no indentation; the encoder escapes control characters and the Unicode line and paragraph
    /// separators (which Python's <c>str.splitlines</c> would split on), so nothing breaks a row across lines,
    /// while other non-ASCII text stays readable UTF-8. Nulls are written, so every row has every key.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
