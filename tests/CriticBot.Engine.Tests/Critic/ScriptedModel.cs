using System.Collections.Concurrent;
using CriticBot.Engine.Model;

namespace CriticBot.Engine.Tests.Critic;

/// <summary>A tiny ICriticModel: answers in call order from a list (the last one repeats); records requests.</summary>
internal sealed class ScriptedModel(params string[] answers) : ICriticModel
{
    private int _calls;

    public ConcurrentQueue<ModelRequest> Requests { get; } = new();
    public int Calls => Volatile.Read(ref _calls);

    public Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var call = Interlocked.Increment(ref _calls) - 1;
        var text = answers[Math.Min(call, answers.Length - 1)];
        return Task.FromResult(new ModelAnswer { Text = text, PromptTokens = 1000, CompletionTokens = 50, FinishReason = "stop" });
    }
}
