using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CriticBot.Export.Files;

/// <summary>One output file (or standard output) of one split.</summary>
internal interface IRowFile<in TRow> : IAsyncDisposable where TRow : class
{
    long Rows { get; }

    /// <summary>The path the file has once complete; null for standard output.</summary>
    string? FinalPath { get; }

    ValueTask WriteAsync(TRow row, CancellationToken cancellationToken);

    ValueTask CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>
/// JSON Lines: each row serialised as UTF-8 into a reused buffer, a newline appended, the bytes written to the
/// stream. The serializer escapes line breaks inside strings, so one row is exactly one line.
/// </summary>
internal sealed class JsonLinesRowFile<TRow> : IRowFile<TRow> where TRow : class
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 14);
    private readonly Utf8JsonWriter _json;
    private readonly PendingFile? _file;
    private readonly Stream? _stream;
    private readonly TextWriter? _text;
    private readonly Decoder? _decoder;
    private char[] _chars = [];

    private JsonLinesRowFile(PendingFile? file, Stream? stream, TextWriter? text)
    {
        _file = file;
        _stream = file?.Stream ?? stream;
        _text = text;
        _decoder = text is null ? null : new UTF8Encoding(false).GetDecoder();
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = ExportJson.Options.Encoder, Indented = false, SkipValidation = true });
    }

    public long Rows { get; private set; }

    public string? FinalPath => _file?.FinalPath;

    public static JsonLinesRowFile<TRow> ToFile(string path) => new(PendingFile.Create(path), null, null);

    /// <summary>
    /// Standard output: straight to the byte stream under a <see cref="StreamWriter"/> or the console; any other
    /// writer (a test's <see cref="StringWriter"/>) gets the decoded text.
    /// </summary>
    public static JsonLinesRowFile<TRow> ToStandardOutput(TextWriter stdout)
    {
        if (stdout is StreamWriter { BaseStream: { CanWrite: true } baseStream } streamWriter && streamWriter.Encoding is UTF8Encoding)
        {
            streamWriter.Flush();
            return new(null, baseStream, null);
        }

        if (ReferenceEquals(stdout, Console.Out))
        {
            // The console's stream has no buffer of its own: without one, every row would be a system call.
            stdout.Flush();
            return new(null, new BufferedStream(Console.OpenStandardOutput(), 1 << 16), null);
        }

        return new(null, null, stdout);
    }

    public async ValueTask WriteAsync(TRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        _buffer.ResetWrittenCount();
        _json.Reset();
        JsonSerializer.Serialize(_json, row, ExportJson.Options);
        _json.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        if (_stream is not null)
        {
            await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
        }
        else
        {
            var needed = _decoder!.GetCharCount(_buffer.WrittenSpan, flush: true);
            if (_chars.Length < needed)
            {
                _chars = new char[Math.Max(needed, _chars.Length * 2)];
            }

            var count = _decoder.GetChars(_buffer.WrittenSpan, _chars, flush: true);
            await _text!.WriteAsync(_chars.AsMemory(0, count), cancellationToken);
        }

        Rows++;
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            await _file.CommitAsync(cancellationToken);
        }
        else if (_stream is not null)
        {
            await _stream.FlushAsync(cancellationToken);
        }
        else
        {
            await _text!.FlushAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _json.DisposeAsync();
        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }
}
