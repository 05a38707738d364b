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
/// The waves of adaptive sampling: a chunk first draws a majority of its maximum at once (2 of 3, 3 of 4 or 5, 4 of 6
/// or 7, ...), and only if those leave a place unsettled, the rest at once. So a review waits for at most two rounds
/// of calls instead of one; rounds of one sample each would save a little more at 5 or more samples, and cost a round
/// trip each. A majority rather than two: the bet that a place no drawn sample flagged is not there grows safer with
/// every sample drawn, and at 5 samples two first ones left many more bugs unfound than three (docs/performance.md).
/// </summary>
public static class AdaptiveSampling
{
    /// <summary>How many samples a chunk draws before it can stop: a majority of the maximum (all of 1 or 2).</summary>
    public static int FirstWave(int maximum) => Math.Min(maximum, (maximum / 2) + 1);

    /// <summary>How many samples the next wave of a chunk draws, given how many it has drawn: the first wave, then the rest.</summary>
    public static int NextWave(int drawn, int maximum) => drawn == 0 ? FirstWave(maximum) : Math.Max(0, maximum - drawn);
}
