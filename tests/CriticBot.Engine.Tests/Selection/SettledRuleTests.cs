using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine.Tests.Selection;

/// <summary><see cref="HighlightSelector.IsSettled"/> checked against the selection itself.</summary>
public sealed class SettledRuleTests
{
    private static GroundedHighlight At(int sample, int line, Severity severity) => new()
    {
        CandidateId = (sample * 1000) + line,
        ChunkIndex = 0,
        SampleIndex = sample,
        Highlight = new RawHighlight { Path = "a.cs", Line = line, Quote = "quote", Severity = severity, Body = "b" },
        Anchor = new Anchor { Path = "a.cs", Side = DiffSide.Right, StartLine = line, Line = line },
    };

    private static SelectionSettings Settings(int samples, double precision) => new() { Precision = precision, MaxComments = 100, Samples = samples };

    /// <summary>Whether the place at line 10 is kept by the real selection when these samples flag it.</summary>
    private static bool Kept(HighlightSelector selector, int support, Severity severity, SelectionSettings settings) =>
        selector.Select(HighlightSelector.Group(Enumerable.Range(0, support).Select(s => At(s, 10, severity))), settings)
            .Any(s => s.Decision == CandidateDecision.Kept);

    [Fact]
    public void Settled_exactly_when_no_support_the_samples_left_could_add_changes_what_the_selection_keeps()
    {
        var selector = new HighlightSelector();
        var checkedCases = 0;
        var settledCases = 0;
        foreach (var samples in Enumerable.Range(2, 7))
        {
            foreach (var precision in Enumerable.Range(0, 21).Select(i => i * 0.05))
            {
                foreach (var severity in Enum.GetValues<Severity>())
                {
                    for (var drawn = 1; drawn < samples; drawn++)
                    {
                        for (var support = 1; support <= drawn; support++)
                        {
                            var settings = Settings(samples, precision);
                            var group = HighlightSelector.Group(Enumerable.Range(0, support).Select(s => At(s, 10, severity)));
                            var left = samples - drawn;
                            var now = Kept(selector, support, severity, settings);
                            var expected = Enumerable.Range(support, left + 1).All(s => Kept(selector, s, severity, settings) == now);

                            Assert.Equal(expected, selector.IsSettled(group, left, settings));
                            checkedCases++;
                            settledCases += expected ? 1 : 0;
                        }
                    }
                }
            }
        }

        // Both answers occur often: the comparison is not one-sided.
        Assert.InRange(settledCases, checkedCases / 5, checkedCases * 4 / 5);
    }

    [Fact]
    public void The_default_settings_need_a_third_sample_only_for_places_it_could_carry_over_the_threshold()
    {
        var selector = new HighlightSelector();
        var settings = Settings(3, 0.5);
        bool SettledWith(params GroundedHighlight[] highlights) => selector.IsSettled(HighlightSelector.Group(highlights), 1, settings);

        Assert.True(SettledWith());                                        // nothing flagged
        Assert.True(SettledWith(At(0, 10, Severity.Bug)));                 // 0.53 → 0.77: kept either way
        Assert.True(SettledWith(At(0, 10, Severity.Nit)));                 // 0.23 → 0.47: dropped either way
        Assert.True(SettledWith(At(0, 10, Severity.Risk), At(1, 10, Severity.Risk))); // 0.62 → 0.85
        Assert.False(SettledWith(At(0, 10, Severity.Risk)));               // 0.38 → 0.62
        Assert.False(SettledWith(At(0, 10, Severity.Nit), At(1, 10, Severity.Nit))); // 0.47 → 0.70
        Assert.False(SettledWith(At(0, 10, Severity.Bug), At(0, 20, Severity.Risk))); // one open place is enough
        Assert.True(selector.IsSettled(HighlightSelector.Group([At(0, 10, Severity.Risk)]), 0, settings)); // none left
    }

    private sealed class SupportOnlyScorer : IHighlightScorer
    {
        public double Score(HighlightGroup group, int samples) => group.Support >= 4 ? 1 : 0;
    }

    [Fact]
    public void The_rule_asks_the_selectors_own_scorer()
    {
        var selector = new HighlightSelector(new SupportOnlyScorer());
        var group = HighlightSelector.Group([At(0, 10, Severity.Nit), At(1, 10, Severity.Nit)]);
        Assert.False(selector.IsSettled(group, 2, Settings(4, 0.5)));  // 2 more could make 4
        Assert.True(selector.IsSettled(group, 1, Settings(4, 0.5)));   // 1 more cannot
    }
}
