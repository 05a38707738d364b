namespace CriticBot.Storage;

/// <summary>
/// What a review produced, kept for research and for never saying the same thing twice: the exact prompts,
/// every candidate highlight, and the comments posted.
/// </summary>
public interface IResearchLog
{
    /// <summary>
    /// Ends a review and records everything it produced in <b>one transaction</b>: the review's status, its prompts,
    /// every model call and candidate, and the posted comments. Rows already there (a recovered or repeated write)
    /// are kept, never duplicated. See docs/research-records.md.
    /// </summary>
    /// <exception cref="InvalidOperationException">The review does not exist.</exception>
    Task RecordReviewOutcomeAsync(ReviewOutcome outcome, CancellationToken ct);

    /// <summary>Saves prompts once per sha256 and links them to the review.</summary>
    Task SavePromptsAsync(long reviewId, IReadOnlyList<PromptRow> rows, CancellationToken ct);

    Task SaveCandidatesAsync(long reviewId, IReadOnlyList<CandidateRow> rows, CancellationToken ct);

    Task SavePostedCommentsAsync(long reviewId, IReadOnlyList<PostedCommentRow> rows, CancellationToken ct);

    /// <summary>Fingerprints of every comment posted on the pull request, so none is posted twice.</summary>
    Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct);
}
