using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CriticBot.Engine.Model;

namespace CriticBot.Eval;

/// <summary>Calls counted across every <see cref="CachingCriticModel"/> of a run.</summary>
public sealed class CacheCounters
{
    private int _hits;
    private int _misses;

    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Requests that went to the model (new calls).</summary>
    public int Misses => Volatile.Read(ref _misses);

    internal void Hit() => Interlocked.Increment(ref _hits);
    internal void Miss() => Interlocked.Increment(ref _misses);
}

/// <summary>
/// An on-disk answer cache in front of a model, keyed by (model, messages, parameters). The critic samples the
/// same request several times on purpose, so the key also holds the request's occurrence: the n-th identical
/// request of a case replays the n-th answer recorded for it (use one instance per case). The prompt's random
/// fence token is left out of the key (the answer never depends on it); everything else the model sees is in it.
/// Only answers are cached, never failures.
/// </summary>
public sealed partial class CachingCriticModel : ICriticModel
{
    private readonly ICriticModel _inner;
    private readonly string _directory;
    private readonly string _model;
    private readonly bool _read;
    private readonly CacheCounters _counters;
    private readonly Dictionary<string, int> _occurrences = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <param name="read">False (<c>--no-cache</c>) always calls the model; answers are still written.</param>
    public CachingCriticModel(ICriticModel inner, string directory, string model, bool read, CacheCounters counters)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _directory = directory;
        _model = model;
        _read = read;
        _counters = counters;
    }

    public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseKey = BaseKey(request);
        int occurrence;
        lock (_gate)
        {
            occurrence = _occurrences.GetValueOrDefault(baseKey);
            _occurrences[baseKey] = occurrence + 1;
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{baseKey}\n{occurrence}")));
        var path = Path.Combine(_directory, key[..2], key + ".json");
        if (_read && Read(path) is { } cached)
        {
            _counters.Hit();
            return cached;
        }

        _counters.Miss();
        var answer = await _inner.CompleteAsync(request, cancellationToken);
        Write(path, answer);
        return answer;
    }

    /// <summary>The request without its fence token, hashed: model, both messages, temperature, output limit, format.</summary>
    internal string BaseKey(ModelRequest request)
    {
        var canonical = new JsonObject
        {
            ["model"] = _model,
            ["system"] = FenceToken().Replace(request.SystemPrompt, "PR-DIFF-*>>>"),
            ["user"] = FenceToken().Replace(request.UserPrompt, "PR-DIFF-*>>>"),
            ["temperature"] = request.Temperature,
            ["max_output_tokens"] = request.MaxOutputTokens,
            ["json_schema"] = request.UseJsonSchema,
        }.ToJsonString();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static ModelAnswer? Read(string path)
    {
        try
        {
            if (!File.Exists(path) || JsonNode.Parse(File.ReadAllText(path)) is not JsonObject json || json["text"]?.GetValue<string>() is not { } text)
            {
                return null;
            }

            return new ModelAnswer
            {
                Text = text,
                PromptTokens = json["prompt_tokens"]?.GetValue<int>() ?? 0,
                CachedPromptTokens = json["cached_prompt_tokens"]?.GetValue<int>() ?? 0,
                CompletionTokens = json["completion_tokens"]?.GetValue<int>() ?? 0,
                FinishReason = json["finish_reason"]?.GetValue<string>(),
                Model = json["model"]?.GetValue<string>(),
            };
        }
        catch (Exception ex) when (ex is IOException or JsonException or InvalidOperationException or FormatException)
        {
            return null; // a damaged entry is asked for again and overwritten
        }
    }

    private static void Write(string path, ModelAnswer answer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = new JsonObject
        {
            ["text"] = answer.Text,
            ["prompt_tokens"] = answer.PromptTokens,
            ["cached_prompt_tokens"] = answer.CachedPromptTokens,
            ["completion_tokens"] = answer.CompletionTokens,
            ["finish_reason"] = answer.FinishReason,
            ["model"] = answer.Model,
        };

        // Written whole then renamed: an interrupted run never leaves half an entry.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, json.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }

    [GeneratedRegex("PR-DIFF-[0-9a-f]{8,}>>>", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex FenceToken();
}
