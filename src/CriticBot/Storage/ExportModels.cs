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

/// <summary>
/// One feedback event with everything an export row needs: the posted comment it is about with its candidate, model
/// call and review (<see cref="Comment"/>, shared by all the events of that comment), or for a missed bug its chunk's
/// critique (<see cref="MissedChunk"/>). Prompt texts are not here: they repeat across rows and are read once per
/// prompt (see <see cref="ExportPromptReader"/>).
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

    /// <summary>A missed bug's nearest chunk.</summary>
    public int? EventChunkIndex { get; init; }

    /// <summary>The posted comment the event is about; null when the records do not know it.</summary>
    public ExportComment? Comment { get; init; }

    /// <summary>For a missed bug: its chunk's first parsed sample (the critique that missed it); null when not known.</summary>
    public ChunkCritique? MissedChunk { get; init; }

    public string? ReviewHeadSha => Comment?.ReviewHeadSha ?? MissedChunk?.ReviewHeadSha;
    public double? Precision => Comment is { } c ? c.Precision : MissedChunk?.Precision;
    public string? CommentPath => Comment?.Path;
    public int? CommentLine => Comment?.Line;
    public int? CommentStartLine => Comment?.StartLine;
    public string? CommentSide => Comment?.Side;
    public string? Placement => Comment?.Placement;
    public int? CandidateIndex => Comment?.CandidateIndex;
    public int? ChunkIndex => Comment?.ChunkIndex ?? EventChunkIndex;
    public int? SampleIndex => Comment?.SampleIndex;
    public string? ModelPath => Comment?.ModelPath;
    public int? ModelLine => Comment?.ModelLine;
    public int? ModelEndLine => Comment?.ModelEndLine;
    public string? Quote => Comment?.Quote;
    public string? Severity => Comment?.Severity;
    public string? CandidateBody => Comment?.CandidateBody;
    public int? GroupId => Comment?.GroupId;
    public int? Support => Comment?.Support;
    public double? Score => Comment?.Score;

    /// <summary>The prompt of the candidate's chunk, or of a missed bug's nearest chunk.</summary>
    public string? PromptSha256 => Comment?.PromptSha256 ?? MissedChunk?.PromptSha256;

    public string? Model => Comment?.Model ?? MissedChunk?.Model;
    public double? Temperature => Comment?.Temperature ?? MissedChunk?.Temperature;
    public string? MissedChunkCompletion => MissedChunk?.Completion;
}

/// <summary>A posted comment (review_comments) with its candidate (candidates_v2, posted), model call and review.</summary>
public sealed class ExportComment
{
    public required long ReviewId { get; init; }
    public required string Fingerprint { get; init; }
    public string? ReviewHeadSha { get; init; }

    /// <summary>The precision the review ran with (reviews.summary_json), when kept.</summary>
    public double? Precision { get; init; }

    public required string Path { get; init; }
    public required int Line { get; init; }
    public int? StartLine { get; init; }
    public required string Side { get; init; }
    public required string Placement { get; init; }

    /// <summary>The candidate the comment was made of; null (with what follows) when not recorded.</summary>
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
    public string? PromptSha256 { get; init; }
    public string? Model { get; init; }
    public double? Temperature { get; init; }
}

/// <summary>A chunk's first parsed sample, the critique a missed bug is preferred over.</summary>
public sealed class ChunkCritique
{
    public string? ReviewHeadSha { get; init; }
    public double? Precision { get; init; }
    public required string PromptSha256 { get; init; }
    public string? Model { get; init; }
    public double? Temperature { get; init; }
    public required int SampleIndex { get; init; }
    public string? Completion { get; init; }
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
