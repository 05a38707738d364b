using CriticBot.Engine.Critic;
using CriticBot.Engine.Grounding;

namespace CriticBot.Engine.Selection;

/// <summary>What happened to one highlight; stored with it for evaluation and preference export.</summary>
public enum CandidateDecision
{
    /// <summary>Posted as a comment.</summary>
    Kept,

    /// <summary>The quote was not found in the diff (or too short, or its file is not in the diff).</summary>
    Ungrounded,

    /// <summary>Merged into a group whose comment is made of another member.</summary>
    Duplicate,

    /// <summary>The group's score is below the precision knob.</summary>
    BelowThreshold,

    /// <summary>Scored high enough, but the maximum number of comments was already reached.</summary>
    OverLimit,
}

public sealed record SelectionSettings
{
    /// <summary>
    /// The precision knob in [0, 1]: keep groups scoring at least this. It is the trade-off of the
    /// CriticGPT paper: lower precision catches more real bugs but also posts more hallucinations and
    /// nitpicks; higher precision posts fewer, surer comments and misses more.
    /// </summary>
    public required double Precision { get; init; }

    public required int MaxComments { get; init; }
    public required int Samples { get; init; }
}

public sealed record ScoredGroup
{
    public required HighlightGroup Group { get; init; }
    public required double Score { get; init; }
    public required CandidateDecision Decision { get; init; }
    public required string Reason { get; init; }
}

/// <summary>Merges grounded highlights across samples, scores the groups and keeps the best.</summary>
public sealed class HighlightSelector
{
    private readonly IHighlightScorer _scorer;

    public HighlightSelector(IHighlightScorer? scorer = null)
    {
        _scorer = scorer ?? new AgreementSeverityScorer();
    }

    /// <summary>
    /// Groups highlights of the same file and side that point at the same place: their line ranges
    /// overlap and neither is much wider than the other (see <see cref="SamePlace"/>); a chain of such
    /// pairs is one group. Ordering is stable: by path (ordinal), side, first line, then candidate id.
    /// </summary>
    public static IReadOnlyList<HighlightGroup> Group(IEnumerable<GroundedHighlight> highlights)
    {
        ArgumentNullException.ThrowIfNull(highlights);
        var sorted = highlights
            .OrderBy(h => h.Anchor.Path, StringComparer.Ordinal)
            .ThenBy(h => h.Anchor.Side)
            .ThenBy(h => h.Anchor.StartLine)
            .ThenBy(h => h.Anchor.Line)
            .ThenBy(h => h.CandidateId)
            .ToList();

        // Identical places merge at once, so many repeats of one highlight cost no pairwise work.
        var parent = Enumerable.Range(0, sorted.Count).ToArray();
        var distinct = new List<int>();
        for (var i = 0; i < sorted.Count; i++)
        {
            if (i > 0 && SameRange(sorted[i - 1].Anchor, sorted[i].Anchor))
            {
                parent[i] = parent[i - 1];
            }
            else
            {
                distinct.Add(i);
            }
        }

        for (var a = 0; a < distinct.Count; a++)
        {
            var first = sorted[distinct[a]].Anchor;
            for (var b = a + 1; b < distinct.Count; b++)
            {
                var second = sorted[distinct[b]].Anchor;
                if (second.Path != first.Path || second.Side != first.Side || second.StartLine > first.Line)
                {
                    break; // sorted by start: nothing later overlaps the first
                }

                if (SamePlace(first, second))
                {
                    Union(parent, distinct[a], distinct[b]);
                }
            }
        }

        return [.. sorted
            .Select((highlight, index) => (Highlight: highlight, Root: Find(parent, index)))
            .GroupBy(x => x.Root)
            .OrderBy(g => g.Key)
            .Select((g, id) => MakeGroup(id, [.. g.Select(x => x.Highlight)]))];
    }

    /// <summary>
    /// Two overlapping ranges are one place unless the longer is more than twice the shorter (and over 3 lines):
    /// a highlight over a whole function does not absorb the separate problems flagged inside it.
    /// </summary>
    private static bool SamePlace(Anchor first, Anchor second)
    {
        var overlaps = first.StartLine <= second.Line && second.StartLine <= first.Line;
        var firstSpan = first.Line - first.StartLine + 1;
        var secondSpan = second.Line - second.StartLine + 1;
        return overlaps && Math.Max(firstSpan, secondSpan) <= Math.Max(3, 2 * Math.Min(firstSpan, secondSpan));
    }

    private static bool SameRange(Anchor first, Anchor second) =>
        first.Path == second.Path && first.Side == second.Side && first.StartLine == second.StartLine && first.Line == second.Line;

    private static int Find(int[] parent, int index)
    {
        while (parent[index] != index)
        {
            parent[index] = parent[parent[index]];
            index = parent[index];
        }

        return index;
    }

    private static void Union(int[] parent, int first, int second)
    {
        var (a, b) = (Find(parent, first), Find(parent, second));
        if (a != b)
        {
            // The smaller index is the root, so a group is ordered by its earliest member.
            parent[Math.Max(a, b)] = Math.Min(a, b);
        }
    }

    /// <summary>Scores every group and decides: kept, below the threshold, or over the limit.</summary>
    public IReadOnlyList<ScoredGroup> Select(IReadOnlyList<HighlightGroup> groups, SelectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(settings);
        var scored = groups
            .Select(g => (Group: g, Score: Math.Round(_scorer.Score(g, settings.Samples), 6)))
            .ToList();

        // Highest score first; ties go to the more severe, better supported, then earlier place.
        var ranked = scored
            .Where(s => s.Score >= settings.Precision)
            .OrderByDescending(s => s.Score)
            .ThenByDescending(s => s.Group.Severity)
            .ThenByDescending(s => s.Group.Support)
            .ThenBy(s => s.Group.Id)
            .ToList();
        var kept = ranked.Take(Math.Max(0, settings.MaxComments)).Select(s => s.Group.Id).ToHashSet();

        var result = new List<ScoredGroup>(scored.Count);
        foreach (var (group, score) in scored)
        {
            var scoreText = score.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            var precisionText = settings.Precision.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
            var (decision, reason) = score < settings.Precision
                ? (CandidateDecision.BelowThreshold, $"score {scoreText} is below the precision {precisionText}")
                : kept.Contains(group.Id)
                    ? (CandidateDecision.Kept, $"score {scoreText} with support {group.Support} of {settings.Samples}")
                    : (CandidateDecision.OverLimit, $"score {scoreText} but {settings.MaxComments} higher-ranked comments fill the limit");
            result.Add(new ScoredGroup { Group = group, Score = score, Decision = decision, Reason = reason });
        }

        // The kept ones in rank order first, so callers can post them as they come.
        return [.. result.OrderBy(r => r.Decision == CandidateDecision.Kept ? 0 : 1)
            .ThenByDescending(r => r.Decision == CandidateDecision.Kept ? r.Score : 0)
            .ThenByDescending(r => r.Decision == CandidateDecision.Kept ? r.Group.Severity : 0)
            .ThenByDescending(r => r.Decision == CandidateDecision.Kept ? r.Group.Support : 0)
            .ThenBy(r => r.Group.Id)];
    }

    /// <summary>
    /// Whether the threshold decision on every group of one chunk is already certain, whatever support the
    /// <paramref name="samplesLeft"/> samples not drawn yet could add: each group is scored by this selector's own
    /// scorer at every support from what it has to that plus <paramref name="samplesLeft"/> (each sample flags a place
    /// at most once), at <see cref="SelectionSettings.Samples"/> (the maximum, as the final selection does), and is
    /// settled when all of those scores fall on the same side of <see cref="SelectionSettings.Precision"/>. Two
    /// things are held as they are, and are the bet adaptive sampling makes (docs/performance.md): a group keeps the
    /// severity its members voted for, and a place that no drawn sample flagged stays unflagged. The comment limit is
    /// not part of the test; it ranks what passed, over every chunk, afterwards.
    /// </summary>
    public bool IsSettled(IReadOnlyList<HighlightGroup> groups, int samplesLeft, SelectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(settings);
        if (samplesLeft <= 0)
        {
            return true;
        }

        foreach (var group in groups)
        {
            var passesNow = Passes(group, settings);
            for (var more = 1; more <= samplesLeft; more++)
            {
                if (Passes(WithMoreSupport(group, more), settings) != passesNow)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool Passes(HighlightGroup group, SelectionSettings settings) =>
        Math.Round(_scorer.Score(group, settings.Samples), 6) >= settings.Precision;

    /// <summary>The group as it would be if <paramref name="more"/> further samples flagged it with its own severity.</summary>
    private static HighlightGroup WithMoreSupport(HighlightGroup group, int more) => group with
    {
        Members = [.. group.Members, .. Enumerable.Range(1, more).Select(i => group.Representative with
        {
            CandidateId = -i,
            SampleIndex = int.MinValue + i, // distinct from every drawn sample's index
        })],
    };

    private static HighlightGroup MakeGroup(int id, List<GroundedHighlight> members)
    {
        var ordered = members
            .OrderBy(m => m.ChunkIndex)
            .ThenBy(m => m.SampleIndex)
            .ThenBy(m => m.CandidateId)
            .ToList();
        var severity = ordered
            .GroupBy(m => m.Highlight.Severity)
            .OrderByDescending(g => g.Count())
            .ThenByDescending(g => g.Key)
            .First().Key;
        var representative = ordered.First(m => m.Highlight.Severity == severity);
        return new HighlightGroup
        {
            Id = id,
            Path = representative.Anchor.Path,
            Side = representative.Anchor.Side,
            Members = ordered,
            Representative = representative,
            Severity = severity,
        };
    }
}
