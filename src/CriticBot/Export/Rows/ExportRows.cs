using System.ComponentModel;
using System.Text.Json.Serialization;

namespace CriticBot.Export.Rows;

// The rows `criticbot export` writes (docs/export.md). Their JSON names are the contract (TRL's and OpenAI's field
// names, then ours in snake_case); the same names are the Parquet columns. Properties hold only strings, bool, int,
// long, double, DateTime, their nullables, sealed classes and List<T> of those, which JSON Lines and Parquet both
// write. Conversational throughout: a prompt is the list of chat messages the critic was sent (system, then user)
// and a completion the assistant's turn, which is how TRL's conversational datasets and OpenAI's rows are shaped.

/// <summary>One chat message: role system, user or assistant.</summary>
public sealed class ChatMessage
{
    [JsonPropertyName("role")] public required string Role { get; init; }
    [JsonPropertyName("content")] public required string Content { get; init; }
}

/// <summary>One rater's standing verdict on a comment (after the label rule's replacements and retractions).</summary>
public sealed class RaterVerdict
{
    [Description("The rater: a keyed-hash pseudonym (or the login with --raw-logins).")]
    [JsonPropertyName("rater")] public required string Rater { get; init; }

    [Description("admin, maintain, write, triage, read or none, when the signal was recorded.")]
    [JsonPropertyName("permission")] public required string Permission { get; init; }

    [JsonPropertyName("is_author")] public bool? IsAuthor { get; init; }

    [Description("positive, negative or neutral.")]
    [JsonPropertyName("verdict")] public required string Verdict { get; init; }

    [Description("command (/critic good|nit|wrong|rate) or reaction.")]
    [JsonPropertyName("source")] public required string Source { get; init; }

    [Description("The 1-7 rating when the verdict came from /critic rate.")]
    [JsonPropertyName("rating")] public int? Rating { get; init; }
}

/// <summary>Where a highlight came from and how it was judged: every row carries one.</summary>
public sealed class ExportMetadata
{
    [JsonPropertyName("repository")] public required string Repository { get; init; }
    [JsonPropertyName("pull_request")] public required int PullRequest { get; init; }

    [Description("The head SHA the review (or, for a missed bug, the report) was made at.")]
    [JsonPropertyName("head_sha")] public string? HeadSha { get; init; }

    [JsonPropertyName("review_id")] public long? ReviewId { get; init; }
    [JsonPropertyName("fingerprint")] public string? Fingerprint { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("start_line")] public int? StartLine { get; init; }
    [JsonPropertyName("line")] public int? Line { get; init; }

    [Description("RIGHT (new-file lines) or LEFT (old-file lines).")]
    [JsonPropertyName("side")] public string? Side { get; init; }

    [Description("inline, or review_body when the comment was written into the review body.")]
    [JsonPropertyName("placement")] public string? Placement { get; init; }

    [Description("bug, risk or nit, as the critic said.")]
    [JsonPropertyName("severity")] public string? Severity { get; init; }

    [Description("The highlight group's score, 0..1.")]
    [JsonPropertyName("score")] public double? Score { get; init; }

    [Description("How many independent samples flagged the same place.")]
    [JsonPropertyName("support")] public int? Support { get; init; }

    [JsonPropertyName("group_id")] public int? GroupId { get; init; }
    [JsonPropertyName("candidate_index")] public int? CandidateIndex { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("temperature")] public double? Temperature { get; init; }
    [JsonPropertyName("chunk_index")] public int? ChunkIndex { get; init; }

    [Description("The sample (of the chunk's independent samples) the highlight came from.")]
    [JsonPropertyName("sample")] public int? Sample { get; init; }

    [Description("The --precision the review ran with (null when not recorded).")]
    [JsonPropertyName("precision")] public double? Precision { get; init; }

    [JsonPropertyName("prompt_sha256")] public string? PromptSha256 { get; init; }

    [Description("The highest permission among the raters whose verdicts made the label (or the rater of a ratings row).")]
    [JsonPropertyName("rater_permission")] public string? RaterPermission { get; init; }

    [Description("Whether a rater whose verdict made the label opened the pull request.")]
    [JsonPropertyName("rater_is_author")] public bool? RaterIsAuthor { get; init; }

    [Description("command or reaction: which kind of signal made the label (commands outweigh reactions).")]
    [JsonPropertyName("label_source")] public string? LabelSource { get; init; }

    [JsonPropertyName("raters")] public List<RaterVerdict> Raters { get; init; } = [];

    [Description("A later push changed the lines the comment was anchored on (not used by the label).")]
    [JsonPropertyName("addressed")] public bool Addressed { get; init; }

    [Description("The comment's thread was last seen resolved (true) or unresolved (false); null when never.")]
    [JsonPropertyName("thread_resolved")] public bool? ThreadResolved { get; init; }

    [JsonPropertyName("replies")] public int Replies { get; init; }
}

/// <summary>TRL's unpaired preference row (KTO).</summary>
public sealed class KtoRow
{
    [Description("The chat messages the critic was sent for the chunk: system, then user.")]
    [JsonPropertyName("prompt")] public required List<ChatMessage> Prompt { get; init; }

    [Description("The assistant's turn: the highlight in the critic's output format, {\"comments\": [one highlight]}.")]
    [JsonPropertyName("completion")] public required List<ChatMessage> Completion { get; init; }

    [Description("The maintainers' verdict under the label rule: true (a real problem) or false.")]
    [JsonPropertyName("label")] public required bool Label { get; init; }

    [JsonPropertyName("metadata")] public required ExportMetadata Metadata { get; init; }
}

/// <summary>The two sides of a preference pair.</summary>
public sealed class PairMetadata
{
    [Description("rated (a positively rated highlight over a negatively rated one of the same prompt) or missed_bug (a maintainer's missed-bug report over the critique that missed it).")]
    [JsonPropertyName("pair_kind")] public required string PairKind { get; init; }

    [JsonPropertyName("chosen")] public required ExportMetadata Chosen { get; init; }
    [JsonPropertyName("rejected")] public required ExportMetadata Rejected { get; init; }
}

/// <summary>TRL's preference row (DPO).</summary>
public sealed class DpoRow
{
    [JsonPropertyName("prompt")] public required List<ChatMessage> Prompt { get; init; }
    [JsonPropertyName("chosen")] public required List<ChatMessage> Chosen { get; init; }
    [JsonPropertyName("rejected")] public required List<ChatMessage> Rejected { get; init; }
    [JsonPropertyName("metadata")] public required PairMetadata Metadata { get; init; }
}

public sealed class OpenAiInput
{
    [JsonPropertyName("messages")] public required List<ChatMessage> Messages { get; init; }
}

/// <summary>OpenAI's preference fine-tuning row.</summary>
public sealed class OpenAiDpoRow
{
    [JsonPropertyName("input")] public required OpenAiInput Input { get; init; }
    [JsonPropertyName("preferred_output")] public required List<ChatMessage> PreferredOutput { get; init; }
    [JsonPropertyName("non_preferred_output")] public required List<ChatMessage> NonPreferredOutput { get; init; }
    [JsonPropertyName("metadata")] public required PairMetadata Metadata { get; init; }
}

/// <summary>What an sft row was made of: the chunk and the confirmed highlights in its assistant turn.</summary>
public sealed class SftMetadata
{
    [JsonPropertyName("repository")] public required string Repository { get; init; }
    [JsonPropertyName("pull_request")] public required int PullRequest { get; init; }
    [JsonPropertyName("head_sha")] public string? HeadSha { get; init; }
    [JsonPropertyName("review_id")] public required long ReviewId { get; init; }
    [JsonPropertyName("prompt_sha256")] public required string PromptSha256 { get; init; }
    [JsonPropertyName("highlights")] public required List<ExportMetadata> Highlights { get; init; }
}

/// <summary>Chat fine-tuning row: system, user, and an assistant turn holding only confirmed highlights.</summary>
public sealed class SftRow
{
    [JsonPropertyName("messages")] public required List<ChatMessage> Messages { get; init; }
    [JsonPropertyName("metadata")] public required SftMetadata Metadata { get; init; }
}

/// <summary>One feedback event, nothing aggregated, with its comment, candidate and sample.</summary>
public sealed class RatingRow
{
    [JsonPropertyName("event_id")] public required long EventId { get; init; }

    [Description("reaction, reaction_retracted, reply, command_good, command_nit, command_wrong, command_rate, missed_bug, thread_resolved, thread_unresolved or addressed.")]
    [JsonPropertyName("kind")] public required string Kind { get; init; }

    [Description("positive, negative or neutral, where the kind has a direction.")]
    [JsonPropertyName("value")] public string? Value { get; init; }

    [Description("1-7 for command_rate.")]
    [JsonPropertyName("rating")] public int? Rating { get; init; }

    [Description("The reaction (+1, heart, ...) or the command as written.")]
    [JsonPropertyName("content")] public string? Content { get; init; }

    [Description("A reply's text or a missed bug's description, @mentions pseudonymised.")]
    [JsonPropertyName("text")] public string? Text { get; init; }

    [JsonPropertyName("rater")] public string? Rater { get; init; }
    [JsonPropertyName("rater_permission")] public string? RaterPermission { get; init; }
    [JsonPropertyName("rater_is_author")] public bool? RaterIsAuthor { get; init; }
    [JsonPropertyName("occurred_at")] public required DateTime OccurredAt { get; init; }

    [Description("A missed bug's place as reported (the comment's place is in metadata).")]
    [JsonPropertyName("reported_path")] public string? ReportedPath { get; init; }

    [JsonPropertyName("reported_line")] public int? ReportedLine { get; init; }

    [Description("The event's head (a missed bug's, an addressing push's).")]
    [JsonPropertyName("event_head_sha")] public string? EventHeadSha { get; init; }

    [JsonPropertyName("metadata")] public required ExportMetadata Metadata { get; init; }
}
