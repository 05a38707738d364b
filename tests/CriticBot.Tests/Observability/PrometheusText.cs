using System.Globalization;

namespace CriticBot.Tests.Observability;

/// <summary>The samples of a Prometheus text exposition, keyed by series (name plus labels, minus OpenTelemetry's scope labels).</summary>
public sealed class PrometheusText
{
    private readonly Dictionary<string, double> _samples;

    private PrometheusText(Dictionary<string, double> samples, string text)
    {
        _samples = samples;
        Text = text;
    }

    public string Text { get; }

    public static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            // name{labels} value [timestamp]
            var braceEnd = line.LastIndexOf('}');
            var nameAndLabels = braceEnd >= 0 ? line[..(braceEnd + 1)] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var rest = line[nameAndLabels.Length..].Trim().Split(' ');
            var value = rest[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples[Normalize(nameAndLabels)] = value;
        }

        return new PrometheusText(samples, text);
    }

    /// <summary>The sample's value, 0 when the series is absent (a counter not yet incremented).</summary>
    public double this[string series] => _samples.GetValueOrDefault(Normalize(series));

    public bool Has(string series) => _samples.ContainsKey(Normalize(series));

    /// <summary>The sum over every series of a metric (all label values).</summary>
    public double Sum(string name) =>
        _samples.Where(s => s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(s => s.Value);

    // Labels sorted, OpenTelemetry's otel_scope_* labels dropped, so tests name series by what matters.
    private static string Normalize(string series)
    {
        var brace = series.IndexOf('{', StringComparison.Ordinal);
        if (brace < 0)
            return series;
        var labels = series[(brace + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("otel_scope_", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var joined = string.Join(',', labels);
        return joined.Length == 0 ? series[..brace] : $"{series[..brace]}{{{joined}}}";
    }
}
