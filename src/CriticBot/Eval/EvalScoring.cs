using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Selection;

namespace CriticBot.Eval;

/// <summary>A comment the critic kept, as far as scoring needs it.</summary>
public sealed record KeptComment
{
    public required string Path { get; init; }
    public required DiffSide Side { get; init; }
    public required int StartLine { get; init; }
    public required int Line { get; init; }
    public required Severity Severity { get; init; }
    public required string Body { get; init; }
    public required double Score { get; init; }
    public required int Support { get; init; }

    public static KeptComment From(ReviewComment comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        return new()
        {
            Path = comment.Path,
            Side = comment.Side,
            StartLine = comment.StartLine ?? comment.Line,
            Line = comment.Line,
            Severity = comment.Severity,
            Body = comment.Body,
            Score = comment.Score,
            Support = comment.Support,
        };
    }
}

/// <summary>What became of one known bug.</summary>
public sealed record BugOutcome
{
    public required EvalBug Bug { get; init; }

    /// <summary>Null for a bug without a line (scored by the judge only).</summary>
    public bool? Caught { get; init; }

    /// <summary>The index in the kept comments of the first that covers the bug; null when none does.</summary>
    public int? CaughtBy { get; init; }

    /// <summary>Set when the judge ran: whether any kept comment describes the bug.</summary>
    public bool? JudgeMatched { get; init; }
}

/// <summary>The counts of one case at one precision; every metric is a ratio of sums of these over cases.</summary>
public sealed record CaseCounts
{
    public bool Clean { get; init; }
    public int BugsWithLine { get; init; }
    public int Caught { get; init; }
    public int Kept { get; init; }
    public int KeptNits { get; init; }
    public int KeptBugSeverity { get; init; }

    /// <summary>Bug-severity comments on a clean case.</summary>
    public int FalseAlarms { get; init; }

    public int Highlights { get; init; }
    public int Ungrounded { get; init; }
}

/// <summary>Line-based scoring and the engine's own selection re-run at another precision.</summary>
public static class EvalScoring
{
    /// <summary>
    /// A bug is caught when a kept comment on the new side of its file has anchored lines that overlap the bug's
    /// lines widened by <paramref name="tolerance"/> on each side.
    /// </summary>
    public static IReadOnlyList<BugOutcome> ScoreBugs(EvalCase evalCase, IReadOnlyList<KeptComment> kept, int tolerance)
    {
        ArgumentNullException.ThrowIfNull(evalCase);
        ArgumentNullException.ThrowIfNull(kept);
        var outcomes = new List<BugOutcome>();
        foreach (var bug in evalCase.Bugs)
        {
            if (bug.Line is not { } first)
            {
                outcomes.Add(new BugOutcome { Bug = bug });
                continue;
            }

            var (low, high) = (first - tolerance, bug.LastLine + tolerance);
            var index = kept.ToList().FindIndex(c => c.Side == DiffSide.Right && c.Path == bug.Path && c.StartLine <= high && c.Line >= low);
            outcomes.Add(new BugOutcome { Bug = bug, Caught = index >= 0, CaughtBy = index >= 0 ? index : null });
        }

        return outcomes;
    }

    public static CaseCounts Count(EvalCase evalCase, IReadOnlyList<KeptComment> kept, IReadOnlyList<CandidateRecord> candidates, int tolerance)
    {
        ArgumentNullException.ThrowIfNull(evalCase);
        ArgumentNullException.ThrowIfNull(kept);
        ArgumentNullException.ThrowIfNull(candidates);
        var bugs = ScoreBugs(evalCase, kept, tolerance);
        var bugSeverity = kept.Count(c => c.Severity == Severity.Bug);
        return new CaseCounts
        {
            Clean = evalCase.IsClean,
            BugsWithLine = bugs.Count(b => b.Caught is not null),
            Caught = bugs.Count(b => b.Caught == true),
            Kept = kept.Count,
            KeptNits = kept.Count(c => c.Severity == Severity.Nit),
            KeptBugSeverity = bugSeverity,
            FalseAlarms = evalCase.IsClean ? bugSeverity : 0,
            Highlights = candidates.Count,
            Ungrounded = candidates.Count(c => c.Decision == CandidateDecision.Ungrounded),
        };
    }

    /// <summary>
    /// The comments the engine would keep at <paramref name="precision"/>, from a review's candidate records: the
    /// grounded candidates regrouped and re-selected by the engine's own <see cref="HighlightSelector"/>, so a sweep
    /// needs no model call. (Sanitising is skipped: scoring needs places and severities, not bodies.)
    /// </summary>
    public static IReadOnlyList<KeptComment> Reselect(CritiqueResult result, double precision, int samples, int maxComments)
    {
        ArgumentNullException.ThrowIfNull(result);
        var grounded = result.Candidates
            .Where(c => c.Decision != CandidateDecision.Ungrounded && c.Anchor is not null)
            .Select(c => new GroundedHighlight { CandidateId = c.Id, ChunkIndex = c.ChunkIndex, SampleIndex = c.SampleIndex, Highlight = c.Raw, Anchor = c.Anchor! });
        var selected = new HighlightSelector().Select(HighlightSelector.Group(grounded), new SelectionSettings { Precision = precision, MaxComments = maxComments, Samples = samples });
        return [.. selected
            .Where(s => s.Decision == CandidateDecision.Kept)
            .Select(s => new KeptComment
            {
                Path = s.Group.Representative.Anchor.Path,
                Side = s.Group.Representative.Anchor.Side,
                StartLine = s.Group.Representative.Anchor.StartLine,
                Line = s.Group.Representative.Anchor.Line,
                Severity = s.Group.Severity,
                Body = s.Group.Representative.Highlight.Body,
                Score = s.Score,
                Support = s.Group.Support,
            })];
    }
}
