using System.Net;
using CriticBot.GitHub;
using CriticBot.Testing.GitHub;

namespace CriticBot.Tests.GitHub;

public sealed class GitHubGatewayTests
{
    [Fact]
    public async Task Files_over_several_pages_are_all_listed_in_order()
    {
        await using var harness = await GitHubHarness.StartAsync();
        var files = Enumerable.Range(0, 250).Select(i => Patches.Added($"src/File{i:000}.cs", 2)).ToArray();
        harness.OpenPull(3, files);
        var (gateway, _, _) = harness.Product();

        var listed = await gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 3);

        Assert.Equal(files.Select(f => f.Filename), listed.Select(f => f.Filename));
        Assert.All(listed, f => Assert.Equal("added", f.Status));
        Assert.Equal(2, listed[0].Additions);
        Assert.StartsWith("@@ -0,0 +1,2 @@", listed[0].Patch, StringComparison.Ordinal);
        var pages = harness.Simulator.Requests.Where(r => r.Path == "/repos/acme/widgets/pulls/3/files").ToList();
        Assert.Equal(3, pages.Count);
        Assert.All(pages, p => Assert.Contains("per_page=100", p.Query, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enterprise_server_base_url_with_api_v3_works_including_pagination()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(3, Enumerable.Range(0, 120).Select(i => Patches.Added($"f{i}.txt", 1)).ToArray());
        var enterpriseUrl = new Uri($"http://127.0.0.1:{harness.Simulator.ApiUrl.Port}/api/v3");
        var (gateway, _, _) = harness.Product(harness.Options(apiUrl: enterpriseUrl));

        var pull = await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 3);
        var files = await gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 3);

        Assert.NotNull(pull);
        Assert.Equal(120, files.Count);
        var requests = harness.Simulator.Requests;
        Assert.All(requests, r => Assert.Equal("/api/v3", r.PathBase));
        Assert.Contains(requests, r => r.Path.EndsWith("/access_tokens", StringComparison.Ordinal));
        Assert.Equal(2, requests.Count(r => r.Path == "/repos/acme/widgets/pulls/3/files"));
    }

    [Fact]
    public async Task Github_com_shaped_url_is_used_without_an_api_v3_prefix()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, _, _) = harness.Product();

        Assert.NotNull(await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));

        Assert.All(harness.Simulator.Requests, r => Assert.Equal("", r.PathBase));
    }

    [Fact]
    public async Task Renamed_and_binary_files_keep_previous_name_and_null_patch()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(4,
            new SimulatedFile { Filename = "new/name.cs", Status = "renamed", PreviousFilename = "old/name.cs", Patch = "@@ -1 +1 @@\n-a\n+b", Additions = 1, Deletions = 1 },
            new SimulatedFile { Filename = "logo.png", Status = "added" });
        var (gateway, _, _) = harness.Product();

        var files = await gateway.ListPullRequestFilesAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 4);

        Assert.Equal("old/name.cs", files[0].PreviousFilename);
        Assert.Equal("renamed", files[0].Status);
        Assert.Null(files[1].Patch);
        Assert.Null(files[1].PreviousFilename);
    }

    [Fact]
    public async Task Compare_returns_the_files_changed_between_two_heads()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var second = SimulatedFile.WithPatch("README.md", "@@ -1 +1,2 @@\n # Widgets\n+More words.");
        harness.Simulator.Push(GitHubHarness.RepoName, 1, "head2", [Patches.CalculatorFile, second], [second]);
        var (gateway, _, _) = harness.Product();

        var changed = await gateway.CompareAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, "head1", "head2");
        var pull = await gateway.GetPullRequestAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1);

        var file = Assert.Single(changed);
        Assert.Equal("README.md", file.Filename);
        Assert.Equal(second.Patch, file.Patch);
        Assert.Equal("head2", pull!.HeadSha);
        var unknown = await Assert.ThrowsAsync<GitHubRequestException>(() => gateway.CompareAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, "x", "y"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task File_content_is_decoded_and_a_missing_file_is_null()
    {
        await using var harness = await GitHubHarness.StartAsync();
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => $"línea {i}: ünïcödé ✓\n"));
        harness.Simulator.SetFileContent(GitHubHarness.RepoName, "head1", ".criticbot.yml", text);
        var (gateway, _, _) = harness.Product();

        var found = await gateway.GetFileContentAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, ".criticbot.yml", "head1");
        var missing = await gateway.GetFileContentAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, ".criticbot.yml", "main");

        Assert.Equal(text, found);
        Assert.Null(missing);
    }

    [Fact]
    public async Task Permission_maps_roles_to_levels_and_unknown_users_to_none()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.Simulator.SetPermission(GitHubHarness.RepoName, "alice", "maintain");
        harness.Simulator.SetPermission(GitHubHarness.RepoName, "bob", "read");
        var (gateway, _, _) = harness.Product();

        Assert.Equal("write", await gateway.GetPermissionAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, "alice"));
        Assert.Equal("read", await gateway.GetPermissionAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, "bob"));
        Assert.Equal("none", await gateway.GetPermissionAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, "mallory"));
    }

    [Fact]
    public async Task Check_run_is_created_and_completed()
    {
        await using var harness = await GitHubHarness.StartAsync();
        var (gateway, _, _) = harness.Product();

        var id = await gateway.CreateCheckRunAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, new CheckRunDraft { Name = "CriticBot", HeadSha = "head1" });
        Assert.NotNull(id);
        await gateway.UpdateCheckRunAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, id.Value,
            new CheckRunUpdate { Status = CheckRunStatus.Completed, Conclusion = CheckRunConclusion.Neutral, Title = "3 comments", Summary = "Posted one review." });

        var run = Assert.Single(harness.Simulator.CheckRuns(GitHubHarness.RepoName));
        Assert.Equal(id, run.Id);
        Assert.Equal("head1", run.HeadSha);
        Assert.Equal("completed", run.Status);
        Assert.Equal("neutral", run.Conclusion);
        Assert.Equal("3 comments", run.Title);
        Assert.Equal("Posted one review.", run.Summary);
    }

    [Fact]
    public async Task Check_run_403_is_tolerated_and_logged_at_information()
    {
        await using var harness = await GitHubHarness.StartAsync(SimulatedPermissions.WithoutChecks);
        var (gateway, _, _) = harness.Product();

        var id = await gateway.CreateCheckRunAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, new CheckRunDraft { Name = "CriticBot", HeadSha = "head1" });
        await gateway.UpdateCheckRunAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 12345, new CheckRunUpdate { Status = CheckRunStatus.Completed, Conclusion = CheckRunConclusion.Success });

        Assert.Null(id);
        Assert.Empty(harness.Simulator.CheckRuns(GitHubHarness.RepoName));
        Assert.Equal(2, harness.Simulator.Requests.Count(r => r.Path.Contains("check-runs", StringComparison.Ordinal) && r.Status == 403));
        Assert.Contains(harness.Logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Information && e.Message.Contains("not an error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reviews_and_their_comments_are_listed_with_ids_commit_and_author()
    {
        await using var harness = await GitHubHarness.StartAsync();
        harness.OpenPull(1, Patches.CalculatorFile);
        var (gateway, _, _) = harness.Product();
        var reviewId = await gateway.CreateReviewAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, new ReviewDraft
        {
            CommitId = "head1",
            Body = "<!-- criticbot -->",
            Comments = [new DraftComment { Path = "src/Calculator.cs", Line = 11, Body = "Check this." }],
        });

        var review = Assert.Single(await gateway.ListReviewsAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1));
        var comment = Assert.Single(await gateway.ListReviewCommentsAsync(GitHubHarness.InstallationId, GitHubHarness.Repo, 1, reviewId));

        Assert.Equal(reviewId, review.Id);
        Assert.True(reviewId > int.MaxValue);
        Assert.Equal("head1", review.CommitId);
        Assert.Equal("<!-- criticbot -->", review.Body);
        Assert.Equal("criticbot[bot]", review.UserLogin);
        Assert.Equal("COMMENTED", review.State);
        Assert.Equal(harness.Simulator.Reviews(GitHubHarness.RepoName, 1)[0].Comments[0].Id, comment.Id);
        Assert.Equal(("src/Calculator.cs", 11, CriticBot.Engine.Diff.DiffSide.Right), (comment.Path, comment.Line, comment.Side));
    }
}
