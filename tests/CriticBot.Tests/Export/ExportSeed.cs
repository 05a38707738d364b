using CriticBot.Engine.Critic;
using CriticBot.Storage;

namespace CriticBot.Tests.Export;

/// <summary>
/// Writes research records and feedback the way the service does (the store's own methods): posted reviews whose
/// chunks each have a prompt, one parsed sample and posted candidates, and feedback events on their comments.
/// </summary>
internal sealed class ExportSeed(CriticBotStore store)
{
    public static readonly DateTimeOffset T0 = new(2026, 4, 1, 12, 0, 0, TimeSpan.Zero);

    private int _keys;

    /// <summary>One posted highlight: its chunk and fingerprint (its quote and body are derived from the fingerprint).</summary>
    public sealed record Highlight(int Chunk, string Fingerprint, string Severity = "bug");

    public sealed record SeededReview(long Id, string Repository, int PullRequest, string HeadSha);

    /// <summary>A posted review of <paramref name="repository"/>#<paramref name="pullRequest"/>; chunk N's prompt is "{repo}#{pr}@{head}/N".</summary>
    public async Task<SeededReview> ReviewAsync(string repository, int pullRequest, IReadOnlyList<Highlight> highlights, string? head = null,
        bool? isPrivate = false, bool shareFeedback = false, DateTimeOffset? at = null)
    {
        head ??= $"head-{repository}-{pullRequest}";
        var when = at ?? T0;
        var claim = await store.ClaimReviewAsync(new ReviewKey(repository, pullRequest, head), "base", "seed", TimeSpan.FromMinutes(5), when, default);
        var reviewId = Assert.IsType<ReviewClaim.Claimed>(claim).ReviewId;
        var chunks = highlights.Select(h => h.Chunk).Distinct().Order().ToList();
        string Prompt(int chunk) => $"{repository}#{pullRequest}@{head}/{chunk}";
        await store.RecordReviewOutcomeAsync(new ReviewOutcome
        {
            ReviewId = reviewId,
            Status = ReviewStatus.Posted,
            GitHubReviewId = 1000 + reviewId,
            SummaryJson = "{\"precision\":0.6}",
            FinishedAt = when,
            Prompts = [.. chunks.Select(c => new PromptRow(Prompt(c), "You are the critic.", $"Review chunk {c} of {repository}#{pullRequest}."))],
            ModelCalls = [.. chunks.Select(c => new ModelCallRecord
            {
                ChunkIndex = c, SampleIndex = 0, Attempt = 0, PromptSha256 = Prompt(c), Model = "critic-model", Temperature = 0.5f,
                MaxOutputTokens = 1000, StartedAt = when, Latency = TimeSpan.FromSeconds(1),
                Completion = $"{{\"comments\": [\"the critique of chunk {c}\"]}}", Outcome = ModelCallOutcome.Parsed,
            })],
            Candidates = [.. highlights.Select((h, i) => new ResearchCandidateRow
            {
                CandidateIndex = i, ChunkIndex = h.Chunk, SampleIndex = 0, Attempt = 0, Position = i, PromptSha256 = Prompt(h.Chunk),
                ModelPath = "src/app.py", ModelLine = 10 + i, Path = "src/app.py", Side = "RIGHT", StartLine = 10 + i, Line = 10 + i,
                Quote = "quote of " + h.Fingerprint, Severity = h.Severity, Body = "body of " + h.Fingerprint, GroupId = i, Support = 2, Score = 0.75,
                ReasonCode = CandidateReason.Kept, Reason = "kept", Posted = true, Fingerprint = h.Fingerprint,
            })],
            Comments = [.. highlights.Select((h, i) => new PostedCommentRow
            {
                GitHubCommentId = reviewId * 1000 + i, Path = "src/app.py", Line = 10 + i, Side = "RIGHT", Quote = "quote of " + h.Fingerprint,
                Body = "posted " + h.Fingerprint, Fingerprint = h.Fingerprint, GroupId = i,
            })],
        }, default);
        await store.RecordSharingAsync(repository, isPrivate, shareFeedback, default);
        return new SeededReview(reviewId, repository, pullRequest, head);
    }

    /// <summary>Appends one event on a comment of <paramref name="review"/>.</summary>
    public Task EventAsync(SeededReview review, string? fingerprint, FeedbackKind kind, string? login = "maint", string permission = "write",
        FeedbackValue? value = null, long? reaction = null, int? rating = null, string? text = null, bool author = false, int minutes = 0,
        string? path = null, int? line = null, int? chunk = null)
    {
        var key = $"seed:{++_keys}";
        return store.AppendAsync(new FeedbackEvent
        {
            SourceKey = key,
            Repository = review.Repository,
            PullRequest = review.PullRequest,
            Kind = kind,
            Value = value ?? DefaultValue(kind, rating),
            Rating = rating,
            Content = kind is FeedbackKind.Reaction or FeedbackKind.ReactionRetracted ? (value == FeedbackValue.Negative ? "-1" : "+1") : null,
            Text = text,
            RaterLogin = kind == FeedbackKind.Addressed ? null : login,
            RaterPermission = kind == FeedbackKind.Addressed ? null : permission,
            RaterIsAuthor = kind == FeedbackKind.Addressed ? null : author,
            OccurredAt = T0.AddMinutes(minutes + _keys),
            ReviewId = review.Id,
            Fingerprint = fingerprint,
            GitHubReactionId = reaction,
            HeadSha = kind == FeedbackKind.MissedBug ? review.HeadSha : null,
            Path = path,
            Line = line,
            ChunkIndex = chunk,
        }, T0.AddMinutes(minutes + _keys), default);
    }

    private static FeedbackValue? DefaultValue(FeedbackKind kind, int? rating) => kind switch
    {
        FeedbackKind.CommandGood => FeedbackValue.Positive,
        FeedbackKind.CommandWrong => FeedbackValue.Negative,
        FeedbackKind.CommandNit => FeedbackValue.Neutral,
        FeedbackKind.CommandRate => rating >= 5 ? FeedbackValue.Positive : rating <= 3 ? FeedbackValue.Negative : FeedbackValue.Neutral,
        _ => null,
    };
}
