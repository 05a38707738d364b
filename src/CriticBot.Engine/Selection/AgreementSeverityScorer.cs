using CriticBot.Engine.Critic;

namespace CriticBot.Engine.Selection;

/// <summary>
/// The default score: <c>0.7 × agreement + 0.3 × severityWeight</c>, where agreement is
/// <c>min(1, support / samples)</c> and the severity weight is bug 1, risk 0.5, nit 0.
/// Agreement dominates because independent samples that flag the same code are the best evidence
/// against a hallucination; severity decides between places with equal agreement.
/// With 3 samples and the default precision 0.5 this keeps a bug flagged by one sample (0.53),
/// a risk flagged by two (0.62), and a nit only when all three agree (0.70).
/// With one sample there is no agreement signal, and every grounded highlight scores at least 0.7.
/// </summary>
public sealed class AgreementSeverityScorer : IHighlightScorer
{
    public const double AgreementWeight = 0.7;
    public const double SeverityWeight = 0.3;

    public double Score(HighlightGroup group, int samples)
    {
        ArgumentNullException.ThrowIfNull(group);
        var agreement = samples <= 0 ? 1.0 : Math.Min(1.0, (double)group.Support / samples);
        var score = (AgreementWeight * agreement) + (SeverityWeight * WeightOf(group.Severity));
        return Math.Clamp(score, 0.0, 1.0);
    }

    public static double WeightOf(Severity severity) => severity switch
    {
        Severity.Bug => 1.0,
        Severity.Risk => 0.5,
        _ => 0.0,
    };
}
