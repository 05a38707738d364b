using System.Diagnostics;
using CriticBot.Engine.Model;

namespace CriticBot.Observability;

/// <summary>Wraps the model: one span and one latency/token measurement per call, errors counted by kind.</summary>
public sealed class InstrumentedCriticModel(ICriticModel inner, CriticBotMetrics metrics, string modelName) : ICriticModel
{
    public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        using var activity = CriticBotTelemetry.Source.StartActivity("model call", ActivityKind.Client)?.SetTag("gen_ai.request.model", modelName);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await inner.CompleteAsync(request, cancellationToken);
            metrics.ModelCall(Stopwatch.GetElapsedTime(started), answer.PromptTokens, answer.CachedPromptTokens, answer.CompletionTokens);
            activity?.SetTag("gen_ai.usage.input_tokens", answer.PromptTokens).SetTag("gen_ai.usage.output_tokens", answer.CompletionTokens)
                .SetTag("gen_ai.response.finish_reason", answer.FinishReason);
            return answer;
        }
        catch (Exception ex)
        {
            var kind = ex switch
            {
                ModelUnavailableException => "unavailable",
                OperationCanceledException or TimeoutException => "timeout",
                _ => "error",
            };
            metrics.ModelError(Stopwatch.GetElapsedTime(started), kind);
            activity?.SetStatus(ActivityStatusCode.Error, kind);
            throw;
        }
    }
}
