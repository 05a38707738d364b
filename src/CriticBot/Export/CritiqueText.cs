using System.Buffers;
using System.Text;
using System.Text.Json;
using CriticBot.Storage;

namespace CriticBot.Export;

/// <summary>
/// Highlights written in the critic's own output format (CritiqueSchema): <c>{"comments": [{"path", "line",
/// "end_line", "quote", "severity", "body"}]}</c>, each field as the model wrote it (its path and lines, not where the
/// quote was grounded), so a completion is what the critic would have to say to earn the label.
/// </summary>
public static class CritiqueText
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Of(ExportEvent highlight) => Of([highlight]);

    public static string Of(IReadOnlyList<ExportEvent> highlights)
    {
        ArgumentNullException.ThrowIfNull(highlights);
        return Write(writer =>
        {
            foreach (var h in highlights)
            {
                Highlight(writer, h.ModelPath ?? h.CommentPath ?? "", h.ModelLine ?? h.CommentLine ?? 1, h.ModelEndLine, h.Quote ?? "",
                    h.Severity ?? "bug", h.CandidateBody ?? "");
            }
        });
    }

    /// <summary>A maintainer's missed-bug report as a critique: its place, no quote (the report has none), a bug.</summary>
    public static string MissedBug(string path, int line, string description) =>
        Write(writer => Highlight(writer, path, line, null, "", "bug", description));

    private static string Write(Action<Utf8JsonWriter> comments)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("comments");
            comments(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Highlight(Utf8JsonWriter writer, string path, int line, int? endLine, string quote, string severity, string body)
    {
        writer.WriteStartObject();
        writer.WriteString("path", path);
        writer.WriteNumber("line", line);
        if (endLine is { } end)
        {
            writer.WriteNumber("end_line", end);
        }

        writer.WriteString("quote", quote);
        writer.WriteString("severity", severity);
        writer.WriteString("body", body);
        writer.WriteEndObject();
    }
}
