namespace CriticBot.Engine.Selection;

/// <summary>Why a chunk's sampling stopped where it did.</summary>
public enum SamplingStop
{
    /// <summary>Adaptive sampling is off: every sample was drawn, as always.</summary>
    AllDrawn,

    /// <summary>
    /// Stopped early: no support the samples left could add would move any place the drawn samples flagged across
    /// the precision (see <see cref="HighlightSelector.IsSettled"/>).
    /// </summary>
    Settled,

    /// <summary>Adaptive, but the places stayed undecided (or samples failed) until the maximum was drawn.</summary>
    MaxSamples,
}

/// <summary>How many samples one chunk got, and why no more.</summary>
public sealed record ChunkSampling
{
    public required int ChunkIndex { get; init; }

    /// <summary>Samples drawn (each is one first call; retries not counted).</summary>
    public required int Drawn { get; init; }

    /// <summary>The most it could have drawn (<see cref="CriticOptions.Samples"/>).</summary>
    public required int Maximum { get; init; }

    public required SamplingStop Stop { get; init; }
}

/// <summary>
/// The wave sizes of adaptive sampling. A chunk first draws <see cref="WaveSize"/> samples at once (two is the least
/// that can agree or disagree), and then waves of the same size while its places are unsettled, never past the
/// maximum. Waves of two rather than one keep the added latency to ⌈samples / 2⌉ round trips at most (two for the
/// default 3 samples); rounds of one would save a little more on 5 or more samples and cost a round trip each.
/// </summary>
public static class AdaptiveSampling
{
    public const int WaveSize = 2;

    /// <summary>How many samples the next wave of a chunk draws, given how many it has drawn.</summary>
    public static int NextWave(int drawn, int maximum) => Math.Max(0, Math.Min(WaveSize, maximum - drawn));
}
