using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;

namespace CriticBot.Engine.Selection;

/// <summary>A highlight that was grounded, with where it came from.</summary>
public sealed record GroundedHighlight
{
    /// <summary>The highlight's position in the review's candidate list (stable).</summary>
    public required int CandidateId { get; init; }

    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }
    public required RawHighlight Highlight { get; init; }
    public required Anchor Anchor { get; init; }
}

/// <summary>
/// Highlights of one file and side whose anchored ranges overlap (directly or through a chain),
/// from any samples. The representative is the member the comment is made of.
/// </summary>
public sealed record HighlightGroup
{
    public required int Id { get; init; }
    public required string Path { get; init; }
    public required DiffSide Side { get; init; }

    /// <summary>Members in a stable order (chunk, sample, position in the answer).</summary>
    public required IReadOnlyList<GroundedHighlight> Members { get; init; }

    public required GroundedHighlight Representative { get; init; }

    /// <summary>The severity most members agree on; ties go to the more severe.</summary>
    public required Severity Severity { get; init; }

    /// <summary>How many distinct samples (calls) flagged this place.</summary>
    public int Support => Members.Select(m => (m.ChunkIndex, m.SampleIndex)).Distinct().Count();
}

/// <summary>Scores a group in [0, 1]; higher means more likely a real, important problem.</summary>
public interface IHighlightScorer
{
    /// <param name="group">The merged highlights.</param>
    /// <param name="samples">How many samples were asked for per chunk.</param>
    double Score(HighlightGroup group, int samples);
}
