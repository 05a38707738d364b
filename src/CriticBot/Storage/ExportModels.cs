namespace CriticBot.Storage;

/// <summary>Records what the export needs to honour a private repository's consent (docs/export.md).</summary>
public interface IRepositorySharingLog
{
    /// <summary>
    /// The repository's visibility (the delivery's <c>repository.private</c>; null keeps what was known) and its
    /// <c>share_feedback</c> setting, as of a review.
    /// </summary>
    Task RecordSharingAsync(string repository, bool? isPrivate, bool shareFeedback, CancellationToken ct);
}

/// <summary>A repository's visibility and consent as last recorded; <see cref="IsPrivate"/> null when never said.</summary>
public sealed record RepositorySharing(string Repository, bool? IsPrivate, bool ShareFeedback);

/// <summary>Which events an export reads.</summary>
public sealed record ExportFilter
{
    /// <summary>OWNER/NAME, compared case-insensitively; empty: every repository.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = [];

    /// <summary>Events that occurred at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Events that occurred before this time.</summary>
    public DateTimeOffset? Until { get; init; }
}

/// <summary>The order events are streamed in.</summary>
public enum ExportOrder
{
    /// <summary>By the comment they are about (review, fingerprint), then recording order: one comment's events together.</summary>
    ByComment,

    /// <summary>Recording order (the raw log).</summary>
    ByEvent,
}

/// <summary>
/// One feedback event joined with everything an export row needs: the posted comment, the candidate it was made of,
/// the model call (or, for a missed bug, the chunk's first parsed call) and the review. Prompt texts are not here:
/// they repeat across rows and are read once per prompt (see <see cref="ExportPromptReader"/>).
/// </summary>
public sealed class ExportEvent
{
    public required long Id { get; init; }
    public required string Repository { get; init; }
    public required int PullRequest { get; init; }
    public required FeedbackKind Kind { get; init; }
    public FeedbackValue? Value { get; init; }
    public int? Rating { get; init; }
    public string? Content { get; init; }
    public string? Text { get; init; }
    public string? RaterLogin { get; init; }
    public string? RaterPermission { get; init; }
    public bool? RaterIsAuthor { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public long? ReviewId { get; init; }
    public string? Fingerprint { get; init; }
    public long? GitHubReactionId { get; init; }

    /// <summary>The event's own head (a missed bug's, an addressing push's).</summary>
    public string? EventHeadSha { get; init; }

    /// <summary>The event's place: a missed bug's path and line.</summary>
    public string? EventPath { get; init; }

    public int? EventLine { get; init; }

    /// <summary>The reviewed head (reviews.head_sha of <see cref="ReviewId"/>).</summary>
    public string? ReviewHeadSha { get; init; }

    /// <summary>The precision the review ran with (reviews.summary_json), when kept.</summary>
    public double? Precision { get; init; }

    /// <summary>The posted comment's place (review_comments); null when the event is about no known comment.</summary>
    public string? CommentPath { get; init; }

    public int? CommentLine { get; init; }
    public int? CommentStartLine { get; init; }
    public string? CommentSide { get; init; }
    public string? Placement { get; init; }

    /// <summary>The posted candidate (candidates_v2 with posted = 1); null when not known.</summary>
    public int? CandidateIndex { get; init; }

    public int? ChunkIndex { get; init; }
    public int? SampleIndex { get; init; }
    public string? ModelPath { get; init; }
    public int? ModelLine { get; init; }
    public int? ModelEndLine { get; init; }
    public string? Quote { get; init; }
    public string? Severity { get; init; }
    public string? CandidateBody { get; init; }
    public int? GroupId { get; init; }
    public int? Support { get; init; }
    public double? Score { get; init; }

    /// <summary>The prompt of the candidate's chunk, or of a missed bug's nearest chunk.</summary>
    public string? PromptSha256 { get; init; }

    public string? Model { get; init; }
    public double? Temperature { get; init; }

    /// <summary>For a missed bug: the raw answer of its chunk's first parsed sample (the critique that missed it).</summary>
    public string? MissedChunkCompletion { get; init; }
}

/// <summary>Reads prompts by hash on one open connection (a prepared statement), for an export's prompt cache.</summary>
public sealed class ExportPromptReader : IAsyncDisposable
{
    private readonly System.Data.Common.DbConnection _connection;
    private readonly System.Data.Common.DbCommand _command;
    private readonly System.Data.Common.DbParameter _sha;

    internal ExportPromptReader(System.Data.Common.DbConnection connection)
    {
        _connection = connection;
        _command = connection.CreateCommand();
        _command.CommandText = "SELECT system_prompt, user_prompt FROM prompts WHERE sha256 = @sha256";
        _sha = _command.CreateParameter();
        _sha.ParameterName = "@sha256";
        _sha.Value = "";
        _command.Parameters.Add(_sha);
    }

    /// <summary>The system and user text of the prompt; null when it is not stored (pruned).</summary>
    public async Task<(string System, string User)?> ReadAsync(string sha256, CancellationToken ct)
    {
        _sha.Value = sha256;
        await using var reader = await _command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _command.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
