using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine.Tests.Selection;

public sealed class HighlightSelectorTests
{
    private static int _nextId;

    private static GroundedHighlight At(int sample, int start, int end, Severity severity = Severity.Bug, string path = "a.cs", DiffSide side = DiffSide.Right) => new()
    {
        CandidateId = Interlocked.Increment(ref _nextId),
        ChunkIndex = 0,
        SampleIndex = sample,
        Highlight = new RawHighlight { Path = path, Line = start, Quote = "quote", Severity = severity, Body = $"sample {sample}" },
        Anchor = new Anchor { Path = path, Side = side, StartLine = start, Line = end },
    };

    [Fact]
    public void Overlapping_highlights_of_different_samples_merge_and_count_support()
    {
        var groups = HighlightSelector.Group([At(0, 10, 10), At(1, 9, 11), At(2, 11, 12), At(2, 30, 30)]);
        Assert.Equal(2, groups.Count);
        Assert.Equal(3, groups[0].Support);
        Assert.Equal(3, groups[0].Members.Count);
        Assert.Equal(1, groups[1].Support);
    }

    [Fact]
    public void A_highlight_over_a_whole_block_does_not_swallow_the_separate_places_inside_it()
    {
        // One sample quotes a 20-line function; two others flag different lines in it: three places, not one.
        var groups = HighlightSelector.Group([At(0, 1, 20, Severity.Nit), At(1, 5, 5), At(2, 15, 15), At(1, 15, 16)]);
        Assert.Equal([(1, 20), (5, 5), (15, 16)], groups.Select(g => (g.Representative.Anchor.StartLine, g.Representative.Anchor.Line)));
        Assert.Equal([1, 1, 2], groups.Select(g => g.Support));
    }

    [Fact]
    public void Many_identical_highlights_merge_into_one_place()
    {
        var groups = HighlightSelector.Group(Enumerable.Range(0, 5000).Select(i => At(i % 3, 7, 8)));
        Assert.Equal(3, Assert.Single(groups).Support);
    }

    [Fact]
    public void Support_counts_distinct_samples_not_highlights()
    {
        var group = Assert.Single(HighlightSelector.Group([At(0, 5, 5), At(0, 5, 6), At(1, 6, 6)]));
        Assert.Equal(2, group.Support);
    }

    [Fact]
    public void Different_files_or_sides_never_merge()
    {
        var groups = HighlightSelector.Group([At(0, 5, 5), At(1, 5, 5, path: "b.cs"), At(2, 5, 5, side: DiffSide.Left)]);
        Assert.Equal(3, groups.Count);
        Assert.All(groups, g => Assert.Equal(1, g.Support));
    }

    [Fact]
    public void The_group_takes_the_majority_severity_and_a_member_with_it_as_representative()
    {
        var group = Assert.Single(HighlightSelector.Group([At(0, 5, 5, Severity.Nit), At(1, 5, 5, Severity.Bug), At(2, 5, 5, Severity.Bug)]));
        Assert.Equal(Severity.Bug, group.Severity);
        Assert.Equal(1, group.Representative.SampleIndex);
    }

    [Theory]
    [InlineData(1, Severity.Bug, 0.5333)]
    [InlineData(2, Severity.Risk, 0.6167)]
    [InlineData(3, Severity.Nit, 0.7)]
    [InlineData(3, Severity.Bug, 1.0)]
    [InlineData(1, Severity.Nit, 0.2333)]
    public void The_default_score_combines_agreement_and_severity(int support, Severity severity, double expected)
    {
        var group = Assert.Single(HighlightSelector.Group(Enumerable.Range(0, support).Select(s => At(s, 5, 5, severity))));
        Assert.Equal(expected, new AgreementSeverityScorer().Score(group, samples: 3), precision: 3);
    }

    [Fact]
    public void Precision_decides_what_is_kept()
    {
        // One lone bug (0.53), a risk two samples agree on (0.62), a lone nit (0.23).
        var groups = HighlightSelector.Group([At(0, 1, 1, Severity.Bug), At(0, 10, 10, Severity.Risk), At(1, 10, 10, Severity.Risk), At(2, 20, 20, Severity.Nit)]);
        var selector = new HighlightSelector();

        int KeptAt(double precision) => selector.Select(groups, new SelectionSettings { Precision = precision, MaxComments = 10, Samples = 3 })
            .Count(s => s.Decision == CandidateDecision.Kept);

        Assert.Equal(3, KeptAt(0.0));
        Assert.Equal(2, KeptAt(0.5));
        Assert.Equal(1, KeptAt(0.6));
        Assert.Equal(0, KeptAt(0.9));
        var below = selector.Select(groups, new SelectionSettings { Precision = 0.6, MaxComments = 10, Samples = 3 })
            .Where(s => s.Decision == CandidateDecision.BelowThreshold).ToList();
        Assert.Equal(2, below.Count);
        Assert.All(below, s => Assert.Contains("below the precision", s.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void The_cap_keeps_the_highest_scores_and_marks_the_rest_over_limit()
    {
        var groups = HighlightSelector.Group([At(0, 1, 1, Severity.Risk), At(0, 10, 10, Severity.Bug), At(1, 10, 10, Severity.Bug), At(0, 20, 20, Severity.Bug)]);
        var selected = new HighlightSelector().Select(groups, new SelectionSettings { Precision = 0, MaxComments = 2, Samples = 3 });

        var kept = selected.Where(s => s.Decision == CandidateDecision.Kept).ToList();
        Assert.Equal([10, 20], kept.Select(s => s.Group.Representative.Anchor.Line));
        Assert.Equal(1, Assert.Single(selected, s => s.Decision == CandidateDecision.OverLimit).Group.Representative.Anchor.Line);
    }

    [Fact]
    public void Ties_are_broken_deterministically_by_place()
    {
        var groups = HighlightSelector.Group([At(0, 30, 30), At(0, 10, 10), At(0, 20, 20)]);
        var selected = new HighlightSelector().Select(groups, new SelectionSettings { Precision = 0, MaxComments = 2, Samples = 1 });
        Assert.Equal([10, 20], selected.Where(s => s.Decision == CandidateDecision.Kept).Select(s => s.Group.Representative.Anchor.Line));
    }

    private sealed class FixedScorer(double score) : IHighlightScorer
    {
        public double Score(HighlightGroup group, int samples) => score;
    }

    [Fact]
    public void The_scorer_is_a_seam()
    {
        var groups = HighlightSelector.Group([At(0, 1, 1, Severity.Nit)]);
        var selected = new HighlightSelector(new FixedScorer(0.95)).Select(groups, new SelectionSettings { Precision = 0.9, MaxComments = 1, Samples = 3 });
        Assert.Equal((CandidateDecision.Kept, 0.95), (selected[0].Decision, selected[0].Score));
    }
}
