namespace CriticBot.Eval;

/// <summary>A metric's value and its bootstrap 95% interval; all null where the metric is undefined (no denominator).</summary>
public sealed record MetricValue(double? Value, double? Low, double? High, int Cases)
{
    public static MetricValue Undefined(int cases) => new(null, null, null, cases);
}

/// <summary>
/// Percentile bootstrap over cases: draw as many cases as there are, with replacement, recompute the metric,
/// <see cref="Resamples"/> times with a fixed seed; the interval is the 2.5th and 97.5th percentile of the draws.
/// Resamples where the metric is undefined (a zero denominator) are left out.
/// </summary>
public sealed class Bootstrap
{
    public const int Resamples = 1000;
    public const int DefaultSeed = 20240627;

    private readonly int[][] _draws;

    public Bootstrap(int cases, int seed = DefaultSeed)
    {
        Cases = cases;
        var random = new Random(seed);
        _draws = new int[cases == 0 ? 0 : Resamples][];
        for (var r = 0; r < _draws.Length; r++)
        {
            _draws[r] = new int[cases];
            for (var i = 0; i < cases; i++)
            {
                _draws[r][i] = random.Next(cases);
            }
        }
    }

    public int Cases { get; }

    /// <summary>The same draws for every metric, so the metrics of one run are resampled together.</summary>
    public MetricValue Estimate(Func<IReadOnlyList<int>, double?> metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var all = Enumerable.Range(0, Cases).ToArray();
        var value = Cases == 0 ? null : metric(all);
        if (value is null)
        {
            return MetricValue.Undefined(Cases);
        }

        var estimates = _draws.Select(d => metric(d)).Where(v => v is { } x && !double.IsNaN(x)).Select(v => v!.Value).Order().ToArray();
        if (estimates.Length == 0)
        {
            return new MetricValue(value, value, value, Cases);
        }

        var low = estimates[(int)Math.Floor(0.025 * (estimates.Length - 1))];
        var high = estimates[(int)Math.Ceiling(0.975 * (estimates.Length - 1))];
        return new MetricValue(value, low, high, Cases);
    }

    /// <summary>A ratio of sums over the chosen cases; null when the denominator is 0.</summary>
    public static Func<IReadOnlyList<int>, double?> Ratio(Func<int, double> numerator, Func<int, double> denominator) => indexes =>
    {
        double top = 0, bottom = 0;
        foreach (var i in indexes)
        {
            top += numerator(i);
            bottom += denominator(i);
        }

        return bottom == 0 ? null : top / bottom;
    };
}
