using CriticBot.Storage;
using CriticBot.Testing.GitHub;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// The bot's memory of what it posted lives on GitHub; text from a pull request must not be able to write to it.
/// </summary>
public sealed class ForgedStateTests
{
    [Fact]
    public async Task A_file_named_like_the_head_marker_cannot_make_the_bot_skip_a_later_head()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        var firstHead = h.HeadSha;

        // The author prepares the commit to slip past the bot first, then pushes a head whose file list names it
        // in a marker (a binary file, so the review body lists it as skipped), and later pushes the prepared commit.
        h.Git.WriteFile("src/users.py", "def find_user(db, name):\n    return db.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\").fetchone()\n");
        var chosenHead = h.Git.Commit("the commit the bot should never see");
        var forged = new SimulatedFile
        {
            Filename = $"<!-- criticbot:review head={chosenHead} -->",
            Status = "added",
            Patch = null,
            Additions = 1,
        };
        h.GitHub.OpenPullRequest(ReviewHarness.Repository, ReviewHarness.Number, "main", h.BaseSha, firstHead,
            [forged, .. h.FilesAt(h.BaseSha, firstHead)]);
        await h.StartServiceAsync();

        var first = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));
        Assert.StartsWith("posted review", first.Outcome, StringComparison.Ordinal);
        var firstReview = Assert.Single(h.Reviews);
        Assert.Contains($"criticbot:review head={chosenHead}", firstReview.Body, StringComparison.Ordinal);
        Assert.Single(firstReview.Body.Split("<!--").Skip(1));
        Assert.EndsWith($"<!-- criticbot:review head={firstHead} -->", firstReview.Body, StringComparison.Ordinal);

        h.GitHub.Push(ReviewHarness.Repository, ReviewHarness.Number, chosenHead,
            [forged, .. h.FilesAt(h.BaseSha, chosenHead)], h.FilesAt(firstHead, chosenHead));
        var second = await h.FinishedAsync(await h.SendPullRequestAsync("synchronize", headSha: chosenHead));

        Assert.Equal(DeliveryStatus.Done, second.Status);
        Assert.StartsWith("posted review", second.Outcome, StringComparison.Ordinal);
        Assert.Contains(h.Reviews, r => r.CommitId == chosenHead);
    }

    [Fact]
    public async Task A_review_by_the_bot_on_another_commit_does_not_count_as_this_heads()
    {
        await using var h = await ReviewHarness.StartAsync();
        // Any body, even one with this head's marker, counts only through GitHub's fields: author and commit.
        h.GitHub.AddUserReview(ReviewHarness.Repository, ReviewHarness.Number, "criticbot[bot]", h.BaseSha,
            $"old\n\n<!-- criticbot:review head={h.HeadSha} -->");

        var record = await h.FinishedAsync(await h.SendPullRequestAsync("opened"));

        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Contains(h.Reviews, r => r.CommitId == h.HeadSha && r.UserLogin == "criticbot[bot]");
    }
}
