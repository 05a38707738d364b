using CriticBot.Export;
using CriticBot.Storage;

namespace CriticBot.Tests.Export;

/// <summary>The label rule on its own (docs/export.md, "Labels").</summary>
public sealed class FeedbackLabelsTests
{
    private long _id;

    private ExportEvent E(FeedbackKind kind, string? login = "maint", string permission = "write", FeedbackValue? value = null, long? reaction = null, int? rating = null) => new()
    {
        Id = ++_id, Repository = "o/r", PullRequest = 1, Kind = kind, Value = value, Rating = rating, RaterLogin = login,
        RaterPermission = permission, OccurredAt = DateTimeOffset.UnixEpoch.AddMinutes(_id), ReviewId = 1, Fingerprint = "f", GitHubReactionId = reaction,
    };

    private static LabelOutcome Outcome(RaterRole minimum, params ExportEvent[] events) => FeedbackLabels.Decide(events, minimum).Outcome;

    [Fact]
    public void Commands_and_reactions_map_to_their_verdicts()
    {
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write, E(FeedbackKind.CommandGood, value: FeedbackValue.Positive)));
        Assert.Equal(LabelOutcome.Negative, Outcome(RaterRole.Write, E(FeedbackKind.CommandWrong, value: FeedbackValue.Negative)));
        Assert.Equal(LabelOutcome.NeutralOnly, Outcome(RaterRole.Write, E(FeedbackKind.CommandNit, value: FeedbackValue.Neutral)));
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write, E(FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 1)));
        Assert.Equal(LabelOutcome.NeutralOnly, Outcome(RaterRole.Write, E(FeedbackKind.Reaction, value: FeedbackValue.Neutral, reaction: 1)));
        Assert.Equal(LabelOutcome.Unrated, Outcome(RaterRole.Write, E(FeedbackKind.Addressed, login: null), E(FeedbackKind.Reply), E(FeedbackKind.ThreadResolved)));
    }

    [Fact]
    public void A_retraction_undoes_exactly_its_reaction()
    {
        Assert.Equal(LabelOutcome.Unrated, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 1), E(FeedbackKind.ReactionRetracted, value: FeedbackValue.Positive, reaction: 1)));
        // Two reactions by one rater; the later one is taken back: the earlier stands again.
        Assert.Equal(LabelOutcome.Negative, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, value: FeedbackValue.Negative, reaction: 1), E(FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 2),
            E(FeedbackKind.ReactionRetracted, value: FeedbackValue.Positive, reaction: 2)));
        // Taken back and given again (a new reaction id): counts.
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 1), E(FeedbackKind.ReactionRetracted, value: FeedbackValue.Positive, reaction: 1),
            E(FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 3)));
    }

    [Fact]
    public void A_later_command_replaces_an_earlier_one_and_commands_outweigh_reactions()
    {
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write,
            E(FeedbackKind.CommandWrong, value: FeedbackValue.Negative), E(FeedbackKind.CommandRate, value: FeedbackValue.Positive, rating: 7)));
        // The same rater: 👎 then /critic good.
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, value: FeedbackValue.Negative, reaction: 1), E(FeedbackKind.CommandGood, value: FeedbackValue.Positive)));
        // /critic good then 👎 by the same rater: the command still outweighs.
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write,
            E(FeedbackKind.CommandGood, value: FeedbackValue.Positive), E(FeedbackKind.Reaction, value: FeedbackValue.Negative, reaction: 1)));
        // Another rater's 👍 does not conflict with a command: only commands count once one is given.
        var label = FeedbackLabels.Decide([E(FeedbackKind.Reaction, login: "a", value: FeedbackValue.Positive, reaction: 1),
            E(FeedbackKind.CommandWrong, login: "b", value: FeedbackValue.Negative)], RaterRole.Write);
        Assert.Equal(LabelOutcome.Negative, label.Outcome);
        Assert.Equal("b", Assert.Single(label.Counted).Login);
    }

    [Fact]
    public void Disagreeing_raters_conflict_and_neutral_verdicts_do_not_vote()
    {
        Assert.Equal(LabelOutcome.Conflicting, Outcome(RaterRole.Write,
            E(FeedbackKind.CommandGood, login: "a", value: FeedbackValue.Positive), E(FeedbackKind.CommandWrong, login: "b", value: FeedbackValue.Negative)));
        Assert.Equal(LabelOutcome.Conflicting, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, login: "a", value: FeedbackValue.Positive, reaction: 1), E(FeedbackKind.Reaction, login: "b", value: FeedbackValue.Negative, reaction: 2)));
        Assert.Equal(LabelOutcome.Negative, Outcome(RaterRole.Write,
            E(FeedbackKind.CommandNit, login: "a", value: FeedbackValue.Neutral), E(FeedbackKind.CommandWrong, login: "b", value: FeedbackValue.Negative)));
    }

    [Fact]
    public void Raters_below_the_minimum_are_ignored_and_their_retractions_still_apply()
    {
        Assert.Equal(LabelOutcome.BelowMinPermission, Outcome(RaterRole.Write, E(FeedbackKind.CommandGood, permission: "read", value: FeedbackValue.Positive)));
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Read, E(FeedbackKind.CommandGood, permission: "read", value: FeedbackValue.Positive)));
        Assert.Equal(LabelOutcome.BelowMinPermission, Outcome(RaterRole.Admin, E(FeedbackKind.CommandGood, permission: "maintain", value: FeedbackValue.Positive)));
        // A reader's 👎 does not conflict with a writer's /critic good.
        Assert.Equal(LabelOutcome.Positive, Outcome(RaterRole.Write,
            E(FeedbackKind.CommandGood, login: "w", value: FeedbackValue.Positive), E(FeedbackKind.CommandWrong, login: "r", permission: "read", value: FeedbackValue.Negative)));
        // A reader's command does not hide a writer's reaction.
        Assert.Equal(LabelOutcome.Negative, Outcome(RaterRole.Write,
            E(FeedbackKind.Reaction, login: "w", value: FeedbackValue.Negative, reaction: 1), E(FeedbackKind.CommandGood, login: "r", permission: "none", value: FeedbackValue.Positive)));
        // An unknown or missing permission is none.
        Assert.Equal(LabelOutcome.BelowMinPermission, Outcome(RaterRole.Read, E(FeedbackKind.CommandGood, permission: "owner", value: FeedbackValue.Positive)));
    }

    [Fact]
    public void Addressed_resolution_and_replies_are_reported_beside_the_label()
    {
        var label = FeedbackLabels.Decide([E(FeedbackKind.Addressed, login: null), E(FeedbackKind.ThreadResolved), E(FeedbackKind.ThreadUnresolved),
            E(FeedbackKind.Reply), E(FeedbackKind.Reply), E(FeedbackKind.CommandGood, value: FeedbackValue.Positive)], RaterRole.Write);
        Assert.Equal((LabelOutcome.Positive, true, false, 2, true), (label.Outcome, label.Addressed, label.ThreadResolved, label.Replies, label.Label));
    }

    [Fact]
    public void The_worked_example_of_the_documentation_holds_event_by_event()
    {
        ExportEvent[] events =
        [
            E(FeedbackKind.Reaction, login: "ana", value: FeedbackValue.Positive, reaction: 501),
            E(FeedbackKind.Reaction, login: "bo", permission: "maintain", value: FeedbackValue.Negative, reaction: 502),
            E(FeedbackKind.CommandGood, login: "cy", permission: "read", value: FeedbackValue.Positive),
            E(FeedbackKind.CommandNit, login: "bo", permission: "maintain", value: FeedbackValue.Neutral),
            E(FeedbackKind.ReactionRetracted, login: "ana", value: FeedbackValue.Positive, reaction: 501),
            E(FeedbackKind.CommandRate, login: "ana", value: FeedbackValue.Positive, rating: 6),
        ];
        LabelOutcome After(int count, RaterRole minimum = RaterRole.Write) => FeedbackLabels.Decide(events[..count], minimum).Outcome;
        Assert.Equal(
            [LabelOutcome.Positive, LabelOutcome.Conflicting, LabelOutcome.Conflicting, LabelOutcome.NeutralOnly, LabelOutcome.NeutralOnly, LabelOutcome.Positive],
            Enumerable.Range(1, 6).Select(n => After(n)));
        var label = FeedbackLabels.Decide(events, RaterRole.Write);
        Assert.Equal(["ana", "bo"], label.Counted.Select(v => v.Login).Order());
        Assert.Equal(RaterRole.Maintain, label.Counted.Max(v => v.Permission));
        Assert.Equal(LabelOutcome.Positive, After(6, RaterRole.Read));
        Assert.Equal(LabelOutcome.NeutralOnly, After(6, RaterRole.Maintain));
    }
}
