using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Selection;
using CriticBot.GitHub;
using CriticBot.Reviews;
using CriticBot.Storage;

namespace CriticBot.Tests.Reviews;

/// <summary>What the service decides after the engine (already said, not anchorable, moved into the body) reaches the research log.</summary>
public sealed class ReviewOutcomesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static ReviewComment Comment(int group, int line) => new()
    {
        Path = "src/a.cs",
        Line = line,
        Side = DiffSide.Right,
        Quote = $"var x{line} = y / z;",
        Severity = Severity.Bug,
        Body = "z may be 0",
        Score = 1,
        Support = 2,
        GroupId = group,
    };

    private static CandidateRecord Candidate(int id, int sample, ReviewComment comment, CandidateReason reason) => new()
    {
        Id = id,
        ChunkIndex = 0,
        SampleIndex = sample,
        Raw = new RawHighlight { Path = comment.Path, Line = comment.Line, Quote = comment.Quote, Severity = Severity.Bug, Body = comment.Body },
        Anchor = new Anchor { Path = comment.Path, Side = DiffSide.Right, StartLine = comment.Line, Line = comment.Line },
        GroupId = comment.GroupId,
        Support = 2,
        Score = 1,
        Decision = reason == CandidateReason.Kept ? CandidateDecision.Kept : CandidateDecision.Duplicate,
        ReasonCode = reason,
        Reason = "r",
    };

    private static DraftComment Draft(ReviewComment comment) => new()
    {
        Path = comment.Path,
        Line = comment.Line,
        Body = CommentFilter.CommentText(comment),
        Quote = comment.Quote,
    };

    [Fact]
    public void Kept_candidates_become_already_posted_or_not_anchorable_and_comments_keep_githubs_ids_or_null_in_the_body()
    {
        ReviewComment inline = Comment(0, 3), moved = Comment(1, 5), said = Comment(2, 7), unanchorable = Comment(3, 9);
        var result = new CritiqueResult
        {
            Comments = [inline, moved, said, unanchorable],
            Dropped = new DroppedCounts(),
            SkippedFiles = [],
            Truncations = [],
            Usage = new ReviewUsage(),
            Prompts = [new PromptRecord(0, new Engine.Prompting.ChatPrompt("s", "u"))],
            SampleFailures = [],
            Candidates =
            [
                Candidate(0, 0, inline, CandidateReason.Kept), Candidate(1, 1, inline, CandidateReason.Duplicate),
                Candidate(2, 0, moved, CandidateReason.Kept), Candidate(3, 0, said, CandidateReason.Kept),
                Candidate(4, 1, unanchorable, CandidateReason.Kept),
            ],
        };
        var published = new PublishResult
        {
            ReviewId = 900,
            Posted = [new PostedReviewComment { CommentId = 77, Path = inline.Path, Line = 3, Side = DiffSide.Right, Draft = Draft(inline) }],
            MovedToBody = [Draft(moved)],
        };

        var outcome = ReviewOutcomes.Posted(42, result, published, new HashSet<int> { 2 }, new HashSet<int> { 3 }, "{}", Now);

        Assert.Equal((42L, ReviewStatus.Posted, (long?)900, Now), (outcome.ReviewId, outcome.Status, outcome.GitHubReviewId, outcome.FinishedAt));
        Assert.Equal(
            [CandidateReason.Kept, CandidateReason.Duplicate, CandidateReason.Kept, CandidateReason.AlreadyPosted, CandidateReason.NotAnchorable],
            outcome.Candidates.Select(c => c.ReasonCode));
        Assert.Equal([true, false, true, false, false], outcome.Candidates.Select(c => c.Posted));
        Assert.Equal(ReviewOutcomes.Fingerprint(said), outcome.Candidates[3].Fingerprint);
        Assert.Null(outcome.Candidates[1].Fingerprint);

        var inlineRow = Assert.Single(outcome.Comments, c => c.Placement == CommentPlacement.Inline);
        Assert.Equal((77L, 0, ReviewOutcomes.Fingerprint(inline)), (inlineRow.GitHubCommentId!.Value, inlineRow.GroupId!.Value, inlineRow.Fingerprint));
        var bodyRow = Assert.Single(outcome.Comments, c => c.Placement == CommentPlacement.ReviewBody);
        Assert.Equal(((long?)null, (int?)1), (bodyRow.GitHubCommentId, bodyRow.GroupId));
        Assert.Equal(outcome.Candidates.Where(c => c.Posted).Select(c => c.Fingerprint), outcome.Comments.Select(c => (string?)c.Fingerprint));
    }

    [Fact]
    public void A_superseded_review_keeps_its_records_but_posts_nothing()
    {
        var comment = Comment(0, 3);
        var result = new CritiqueResult
        {
            Comments = [comment],
            Dropped = new DroppedCounts(),
            SkippedFiles = [],
            Truncations = [],
            Usage = new ReviewUsage(),
            Prompts = [],
            SampleFailures = [],
            Candidates = [Candidate(0, 0, comment, CandidateReason.Kept)],
        };

        var outcome = ReviewOutcomes.Finished(42, ReviewStatus.Superseded, "the head moved", result, new HashSet<int>(), new HashSet<int>(), Now);

        var candidate = Assert.Single(outcome.Candidates);
        Assert.Equal((CandidateReason.Kept, false), (candidate.ReasonCode, candidate.Posted));
        Assert.Empty(outcome.Comments);
        Assert.Equal("the head moved", outcome.Reason);
    }
}
