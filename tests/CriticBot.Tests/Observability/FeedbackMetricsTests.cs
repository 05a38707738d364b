using System.Diagnostics.Metrics;
using CriticBot.Observability;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.Observability;

/// <summary>Feedback recorded in the store moves <c>criticbot_feedback_events_total</c>, once per new event.</summary>
[Collection(MetricsCollection.Name)]
public sealed class FeedbackMetricsTests
{
    [Fact]
    public async Task A_new_feedback_event_is_counted_by_kind_and_value_and_a_repeated_one_is_not()
    {
        using var database = new TestDatabase();
        await using var store = CriticBotStore.Open(database.Path);
        await store.MigrateAsync(default);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _ = new CriticBotMetrics(services.GetRequiredService<IMeterFactory>(), store, TimeProvider.System);

        var counted = new List<(long Value, string? Kind, string? Direction)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CriticBotMetrics.MeterName && instrument.Name == "criticbot.feedback.events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? kind = null, direction = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "kind") kind = tag.Value as string;
                if (tag.Key == "value") direction = tag.Value as string;
            }

            lock (counted)
            {
                counted.Add((value, kind, direction));
            }
        });
        listener.Start();

        var reaction = new FeedbackEvent
        {
            SourceKey = "reaction:1",
            Repository = "o/r",
            PullRequest = 1,
            Kind = FeedbackKind.Reaction,
            Value = FeedbackValue.Negative,
            OccurredAt = DateTimeOffset.UnixEpoch,
        };
        Assert.True(await store.AppendAsync(reaction, DateTimeOffset.UnixEpoch, default));
        Assert.False(await store.AppendAsync(reaction, DateTimeOffset.UnixEpoch, default));

        Assert.Equal([(1L, "reaction", "negative")], counted);
    }
}
