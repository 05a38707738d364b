using System.ComponentModel;
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace CriticBot.Tests.Export.Files;

// Parquet.Net reads rows back only into classes with a parameterless constructor and no required members.
// Rows shaped like the formats (kto, dpo, openai-dpo), with the nested metadata and message lists the
// real rows carry; the file layer must take any such class.

public sealed class TestMessage
{
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";

    [JsonPropertyName("content")]
    public string Content { get; init; } = "";
}

public sealed class TestMetadata
{
    [JsonPropertyName("repository")]
    public string Repository { get; init; } = "";

    [JsonPropertyName("pull_request")]
    public int PullRequest { get; init; }

    [JsonPropertyName("head_sha")]
    public string HeadSha { get; init; } = "";

    [JsonPropertyName("path")]
    public string? Path { get; init; }

    [JsonPropertyName("start_line")]
    public int? StartLine { get; init; }

    [JsonPropertyName("score")]
    public double? Score { get; init; }

    [JsonPropertyName("temperature")]
    public double Temperature { get; init; }

    [JsonPropertyName("comment_id")]
    public long CommentId { get; init; }

    [JsonPropertyName("rater_is_author")]
    public bool RaterIsAuthor { get; init; }

    [JsonPropertyName("posted_at")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime PostedAt { get; init; }

    /// <summary>Without [ParquetTimestamp]: Parquet.Net's default, a legacy INT96.</summary>
    [JsonPropertyName("rated_at")]
    public DateTime? RatedAt { get; init; }

    [JsonPropertyName("rater_logins")]
    public List<string> RaterLogins { get; init; } = [];
}

public sealed class TestKtoRow
{
    [JsonPropertyName("prompt")]
    [Description("The chat the critic saw.")]
    public List<TestMessage> Prompt { get; init; } = [];

    [JsonPropertyName("completion")]
    public List<TestMessage> Completion { get; init; } = [];

    [JsonPropertyName("label")]
    [Description("The maintainers' verdict | true when confirmed.")]
    public bool Label { get; init; }

    [JsonPropertyName("metadata")]
    public TestMetadata Metadata { get; init; } = new();
}

public sealed class TestDpoRow
{
    [JsonPropertyName("prompt")]
    public string Prompt { get; init; } = "";

    [JsonPropertyName("chosen")]
    public string Chosen { get; init; } = "";

    [JsonPropertyName("rejected")]
    public string Rejected { get; init; } = "";

    [JsonPropertyName("metadata")]
    public TestMetadata? Metadata { get; init; }
}

public sealed class TestOpenAiInput
{
    [JsonPropertyName("messages")]
    public List<TestMessage> Messages { get; init; } = [];
}

public sealed class TestOpenAiDpoRow
{
    [JsonPropertyName("input")]
    public TestOpenAiInput Input { get; init; } = new();

    [JsonPropertyName("preferred_output")]
    public List<TestMessage> PreferredOutput { get; init; } = [];

    [JsonPropertyName("non_preferred_output")]
    public List<TestMessage> NonPreferredOutput { get; init; } = [];
}

internal static class TestRowFactory
{
    /// <summary>Text an attacker might put in a pull request: line breaks of every kind, quotes, pipes, non-ASCII.</summary>
    public const string Awkward = "line one\nline two\r\nline three\u2028four\u2029five \"quoted\" | piped é 漢字 😀 \\ \0 \u0085 \v \f end";

    public static TestKtoRow Kto(int i) => new()
    {
        Prompt =
        [
            new TestMessage { Role = "system", Content = "You are a critic of code changes." },
            new TestMessage { Role = "user", Content = $"Review chunk {i}:\n" + Awkward },
        ],
        Completion = [new TestMessage { Role = "assistant", Content = $"```\nquote {i}\n```\nOff by one in loop {i}." }],
        Label = i % 3 != 0,
        Metadata = Metadata(i),
    };

    public static TestDpoRow Dpo(int i) => new()
    {
        Prompt = $"prompt {i} " + Awkward,
        Chosen = $"chosen {i}",
        Rejected = $"rejected {i}",
        Metadata = i % 2 == 0 ? Metadata(i) : null,
    };

    public static TestOpenAiDpoRow OpenAiDpo(int i) => new()
    {
        Input = new TestOpenAiInput { Messages = [new TestMessage { Role = "user", Content = $"diff {i}" }] },
        PreferredOutput = [new TestMessage { Role = "assistant", Content = $"good {i}" }],
        NonPreferredOutput = [new TestMessage { Role = "assistant", Content = $"bad {i}" }],
    };

    public static TestMetadata Metadata(int i) => new()
    {
        Repository = "octo-org/octo-repo",
        PullRequest = 100 + i,
        HeadSha = $"{i:x40}",
        Path = i % 4 == 0 ? null : $"src/file{i}.cs",
        StartLine = i % 5 == 0 ? null : i,
        Score = i % 2 == 0 ? null : i / 10.0,
        Temperature = 0.7,
        CommentId = 5_000_000_000L + i,
        RaterIsAuthor = i % 2 == 1,
        PostedAt = new DateTime(2026, 11, 1, 12, 30, 15, DateTimeKind.Utc).AddMinutes(i),
        RatedAt = i % 2 == 0 ? null : new DateTime(2026, 11, 2, 8, 0, 0, DateTimeKind.Unspecified).AddSeconds(i),
        RaterLogins = [.. Enumerable.Range(0, i % 3).Select(n => $"rater-{n}")],
    };
}
