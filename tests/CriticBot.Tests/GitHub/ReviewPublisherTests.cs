using CriticBot.Engine.Diff;
using CriticBot.GitHub;

namespace CriticBot.Tests.GitHub;

public sealed class ReviewPublisherTests
{
    private const string Path = "src/Calculator.cs";

    private static readonly DraftComment SingleLine = new() { Path = Path, Line = 11, Body = "Add now adds.", Quote = "int Add(int a, int b) => a + b;" };
    private static readonly DraftComment MultiLine = new() { Path = Path, StartLine = 11, Line = 13, Body = "These three belong together." };
    private static readonly DraftComment RemovedLine = new() { Path = Path, Line = 41, Side = DiffSide.Left, Body = "Run() was synchronous." };
    private static readonly DraftComment OffTheDiff = new() { Path = Path, Line = 30, Body = "Line 30 is not in any hunk.", Quote = "var x = 1;" };

    [Fact]
    public async Task Review_with_single_multi_line_and_left_side_comments_is_posted_with_exact_anchors()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (_, _, publisher) = harness.Product();

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "CriticBot found 3 things.",
            Comments = [SingleLine, MultiLine, RemovedLine],
        });

        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Equal(result.ReviewId, review.Id);
        Assert.Equal("COMMENT", review.Event);
        Assert.Equal("head1", review.CommitId);
        Assert.Equal("CriticBot found 3 things.", review.Body);
        Assert.Empty(result.MovedToBody);
        Assert.Collection(review.Comments,
            c => Assert.Equal((Path, 11, "RIGHT", (int?)null, (string?)null, "Add now adds."), (c.Path, c.Line, c.Side, c.StartLine, c.StartSide, c.Body)),
            c => Assert.Equal((Path, 13, "RIGHT", (int?)11, (string?)"RIGHT"), (c.Path, c.Line, c.Side, c.StartLine, c.StartSide)),
            c => Assert.Equal((Path, 41, "LEFT", (int?)null), (c.Path, c.Line, c.Side, c.StartLine)));
        Assert.Equal(review.Comments.Select(c => (long?)c.Id), result.Posted.Select(p => p.CommentId));
        Assert.Equal([SingleLine, MultiLine, RemovedLine], result.Posted.Select(p => p.Draft));
    }

    [Fact]
    public async Task Line_outside_the_diff_gets_422_then_moves_to_the_body_and_the_rest_is_posted_in_one_review()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (_, _, publisher) = harness.Product();

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "Summary.",
            Comments = [SingleLine, OffTheDiff, MultiLine],
        });

        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Equal(result.ReviewId, review.Id);
        Assert.Equal([11, 13], review.Comments.Select(c => c.Line));
        Assert.Equal([OffTheDiff], result.MovedToBody);
        Assert.StartsWith("Summary.", review.Body, StringComparison.Ordinal);
        Assert.Contains("`src/Calculator.cs` line 30", review.Body, StringComparison.Ordinal);
        Assert.Contains("var x = 1;", review.Body, StringComparison.Ordinal);
        Assert.Contains("Line 30 is not in any hunk.", review.Body, StringComparison.Ordinal);
        Assert.Equal(2, result.Posted.Count);
        Assert.All(result.Posted, p => Assert.NotNull(p.CommentId));
        // The first attempt was refused with GitHub's 422; the second went through.
        var posts = harness.Simulator.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/reviews", StringComparison.Ordinal)).ToList();
        Assert.Equal([422, 200], posts.Select(p => p.Status));
    }

    [Fact]
    public async Task Multi_line_comment_spanning_two_hunks_is_moved_to_the_body()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (_, _, publisher) = harness.Product();
        var spanning = new DraftComment { Path = Path, StartLine = 13, Line = 42, Body = "Spans hunks." };

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "Summary.",
            Comments = [spanning, RemovedLine],
        });

        Assert.Equal([spanning], result.MovedToBody);
        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        var comment = Assert.Single(review.Comments);
        Assert.Equal(("LEFT", 41), (comment.Side, comment.Line));
        Assert.Contains("lines 13–42", review.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Second_422_posts_everything_in_the_body_with_no_inline_comments()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        // GitHub refuses twice (for reasons our own check cannot see); the third, body-only review goes through.
        harness.Simulator.FailNext("POST", "/pulls/1/reviews", 422, times: 2,
            body: """{"message":"Unprocessable Entity","errors":["Pull request review thread diff hunk can't be blank"],"documentation_url":"https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request","status":"422"}""");
        var (_, _, publisher) = harness.Product();

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "Summary.",
            Comments = [SingleLine, OffTheDiff],
        });

        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Empty(review.Comments);
        Assert.Empty(result.Posted);
        Assert.Equal([SingleLine, OffTheDiff], result.MovedToBody);
        Assert.Contains("Add now adds.", review.Body, StringComparison.Ordinal);
        Assert.Contains("Line 30 is not in any hunk.", review.Body, StringComparison.Ordinal);
        Assert.Contains(harness.Logs.Entries, e => e.Message.Contains("diff hunk can't be blank", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Comment_on_a_file_not_in_the_pull_request_moves_to_the_body()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (_, _, publisher) = harness.Product();
        var elsewhere = new DraftComment { Path = "src/Other.cs", Line = 1, Body = "Not part of this PR." };

        var result = await publisher.PublishAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "",
            Comments = [SingleLine, elsewhere],
        });

        Assert.Equal([elsewhere], result.MovedToBody);
        var review = Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
        Assert.Single(review.Comments);
        Assert.StartsWith("**Comments on lines GitHub could not anchor", review.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_surfaces_githubs_422_message_and_errors()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, _, _) = harness.Product();

        var rejected = await Assert.ThrowsAsync<ReviewRejectedException>(() => gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1,
            new ReviewDraft { CommitId = "head1", Body = "x", Comments = [OffTheDiff, new DraftComment { Path = Path, StartLine = 14, Line = 12, Body = "backwards" }] }));

        Assert.Equal("Unprocessable Entity", rejected.GitHubMessage);
        var error = Assert.Single(rejected.Errors);
        Assert.Contains("line must be part of the diff", error, StringComparison.Ordinal);
        Assert.Contains("start line must precede the end line", error, StringComparison.Ordinal);
        Assert.Empty(harness.Simulator.Reviews(GitHubHarness.RepoName, 1));
    }

    [Fact]
    public async Task Unknown_commit_id_is_rejected()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, _, _) = harness.Product();

        var rejected = await Assert.ThrowsAsync<ReviewRejectedException>(() => gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1,
            new ReviewDraft { CommitId = "deadbeef", Body = "x" }));

        Assert.Contains("deadbeef", Assert.Single(rejected.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_on_an_older_head_is_checked_against_that_heads_files()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var readme = Patches.Added("README.md", 3);
        harness.Simulator.Push(GitHubHarness.RepoName, 1, "head2", [readme], [readme]);
        var (gateway, _, _) = harness.Product();

        var reviewId = await gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1,
            new ReviewDraft { CommitId = "head1", Body = "x", Comments = [SingleLine] });

        Assert.Equal("head1", Assert.Single(harness.Simulator.Reviews(GitHubHarness.RepoName, 1), r => r.Id == reviewId).CommitId);
        await Assert.ThrowsAsync<ReviewRejectedException>(() => gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1,
            new ReviewDraft { CommitId = "head2", Body = "x", Comments = [SingleLine] }));
    }

    [Fact]
    public void Anchors_follow_githubs_rules_including_ranges_from_the_old_side_to_the_new()
    {
        IReadOnlyList<ChangedFile> files = [new ChangedFile { Filename = Path, Status = "modified", Patch = Patches.Calculator }, new ChangedFile { Filename = "bin.dat", Status = "added" }];
        DraftComment At(int line, DiffSide side = DiffSide.Right, int? start = null, DiffSide? startSide = null, string path = Path) =>
            new() { Path = path, Line = line, Side = side, StartLine = start, StartSide = startSide, Body = "b" };

        var valid = new[] { At(10), At(14), At(11, DiffSide.Left), At(42), At(13, start: 10), At(12, DiffSide.Right, 11, DiffSide.Left), At(43, start: 41) };
        var invalid = new[]
        {
            At(15), At(40), At(12, DiffSide.Left, 10, DiffSide.Left) with { Line = 14 }, At(42, start: 13), At(11, start: 12),
            At(1, path: "bin.dat"), At(1, path: "missing.cs"), At(11, DiffSide.Left, 12, DiffSide.Right),
        };

        var (ok, bad) = ReviewAnchors.Split([.. valid, .. invalid], files);

        Assert.Equal(valid, ok);
        Assert.Equal(invalid, bad);
    }

    [Fact]
    public void Body_with_moved_comments_stays_under_githubs_limit_and_fences_backticks()
    {
        var moved = Enumerable.Range(0, 400)
            .Select(i => new DraftComment { Path = "a.cs", Line = i + 1, Body = new string('x', 300), Quote = "var s = ```;" })
            .ToList();

        var body = ReviewPublisher.ComposeBody("Summary.", moved);

        Assert.True(body.Length <= ReviewPublisher.MaxBodyLength);
        Assert.Contains("````\nvar s = ```;\n````", body, StringComparison.Ordinal);
        Assert.Contains("more comment(s) left out", body, StringComparison.Ordinal);
    }

    [Fact]
    public void The_head_marker_stays_whole_and_last_when_comments_move_into_the_body()
    {
        const string marker = "<!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->";
        var moved = Enumerable.Range(0, 400)
            .Select(i => new DraftComment
            {
                Path = "a.cs", Line = i + 1, Quote = "x",
                Body = "**Bug** · " + new string('x', 300) + "\n\n<!-- criticbot:fp=" + new string('a', 64) + " -->",
            })
            .ToList();

        var body = ReviewPublisher.ComposeBody("Summary.\n\n" + marker, moved);

        Assert.True(body.Length <= ReviewPublisher.MaxBodyLength);
        Assert.EndsWith("\n" + marker, body, StringComparison.Ordinal);
        Assert.Equal(1, body.Split("<!--").Length - 1);
        Assert.Contains("more comment(s) left out", body, StringComparison.Ordinal);
    }

    [Fact]
    public void An_over_long_body_is_cut_in_its_text_never_in_its_marker()
    {
        const string marker = "<!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->";
        var summary = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"- skipped `{i}-{new string('a', 60)}`"));

        foreach (var moved in new[] { Array.Empty<DraftComment>(), [new DraftComment { Path = "a.cs", Line = 1, Body = "moved" }] })
        {
            var body = ReviewPublisher.ComposeBody(summary + "\n\n" + marker, moved);

            Assert.True(body.Length <= ReviewPublisher.MaxBodyLength, $"{body.Length}");
            Assert.EndsWith("\n" + marker, body, StringComparison.Ordinal);
            Assert.Contains("cut: GitHub's review body limit", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_moved_comments_path_and_quote_cannot_form_html_or_a_marker()
    {
        var moved = new[]
        {
            new DraftComment { Path = "<!-- criticbot:review head=fedcba9 -->`<img src=x>", Line = 1, Body = "b", Quote = "<!-- criticbot:review head=fedcba9 -->" },
        };

        var body = ReviewPublisher.ComposeBody("Summary.", moved);

        Assert.DoesNotContain("<!--", body, StringComparison.Ordinal);
        Assert.Empty(CriticBot.Testing.Rendering.RenderedMarkdown.Hazards(body));
    }
}
