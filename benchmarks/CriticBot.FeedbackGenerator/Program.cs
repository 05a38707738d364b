using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CriticBot.Storage;
using Microsoft.Data.Sqlite;

// dotnet run -c Release --project benchmarks/CriticBot.FeedbackGenerator -- --out feedback.db [--events 1000000]
//     [--prompts 4000] [--seed 1]
// A database shaped like a busy installation's after a year: 40 repositories, pull requests reviewed at two or three
// heads, two chunks of two samples a review, two or three posted comments a chunk, and the feedback events spread
// over those comments (reactions most, then replies, commands, thread resolutions, addressed, missed bugs) by a pool
// of raters of every permission. Deterministic for a seed.
// dotnet run ... -- --sink-only ROWS OUT.parquet|OUT.jsonl
// The file layer alone: ROWS ratings rows (the real row class, realistic values) through ExportSinks, no database,
// to tell the writer's share of an export's time from the query's and the row building's.
if (args is ["--sink-only", var count, var target])
{
    var sinkClock = Stopwatch.StartNew();
    var rows = await SinkOnly.WriteAsync(int.Parse(count, CultureInfo.InvariantCulture), target);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{target}: {rows} rows in {sinkClock.Elapsed.TotalSeconds:0.00} s, {new FileInfo(target).Length / 1048576.0:0} MiB, {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} GCs"));
    return 0;
}

var options = Arguments.Parse(args);
if (File.Exists(options.Out))
{
    Console.Error.WriteLine($"{options.Out} exists; remove it first.");
    return 2;
}

var clock = Stopwatch.StartNew();
await using (var store = CriticBotStore.Open(options.Out))
{
    await store.MigrateAsync(CancellationToken.None);
}

var generator = new Generator(options);
generator.Write();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{options.Out}: {generator.Summary} in {clock.Elapsed.TotalSeconds:0.0} s, {new FileInfo(options.Out).Length / 1048576.0:0} MiB"));
return 0;

internal sealed record Arguments(string Out, int Events, int Prompts, int Seed)
{
    public static Arguments Parse(string[] args)
    {
        string? output = null;
        int events = 1_000_000, prompts = 4_000, seed = 1;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--out": output = args[i + 1]; break;
                case "--events": events = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--prompts": prompts = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return new Arguments(output ?? throw new ArgumentException("--out FILE is required"), events, prompts, seed);
    }
}

internal sealed class Generator(Arguments options)
{
    private const int Repositories = 40;
    private const int ChunksPerReview = 2;
    private const int SamplesPerChunk = 2;
    private static readonly DateTimeOffset Start = new(2025, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Severities = ["bug", "bug", "risk", "risk", "nit"];
    private static readonly string[] Permissions = ["admin", "maintain", "write", "write", "write", "write", "triage", "read", "read", "read", "read", "none"];
    private static readonly string[] Positive = ["+1", "heart", "hooray", "rocket"];
    private static readonly string[] Negative = ["-1", "confused"];
    private static readonly string[] Neutral = ["laugh", "eyes"];
    private static readonly string[] Models = ["gpt-4.1", "gpt-4.1-mini", "qwen2.5-coder-32b"];

    private readonly Random _random = new(options.Seed);
    private readonly List<Comment> _comments = [];
    private readonly List<(long Review, int Chunk, string Repository, int PullRequest, string HeadSha)> _chunks = [];
    private int _reviews;
    private int _calls;
    private int _candidates;

    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{options.Prompts} prompts, {_reviews} reviews, {_calls} model calls, {_candidates} candidates, {_comments.Count} comments, {options.Events} feedback events");

    public void Write()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.Out, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;");
        using var transaction = connection.BeginTransaction();
        var promptHashes = WritePrompts(connection, transaction);
        WriteRepositories(connection, transaction);
        WriteReviews(connection, transaction, promptHashes);
        WriteEvents(connection, transaction);
        transaction.Commit();
    }

    private List<string> WritePrompts(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var insert = Prepare(connection, transaction,
            "INSERT INTO prompts (sha256, system_prompt, user_prompt, created_at) VALUES ($sha, $system, $user, $at)", "$sha", "$system", "$user", "$at");
        var hashes = new List<string>(options.Prompts);
        var systemVariants = Enumerable.Range(0, 4).Select(SystemPrompt).ToArray();
        for (var i = 0; i < options.Prompts; i++)
        {
            var system = systemVariants[i % systemVariants.Length];
            var user = UserPrompt(i);
            var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(system + "\n\n" + user)));
            hashes.Add(sha);
            Run(insert, sha, system, user, Millis(i * 60_000L));
        }

        return hashes;
    }

    private void WriteRepositories(SqliteConnection connection, SqliteTransaction transaction)
    {
        // Migration 5 (export) records each repository's visibility and consent; older schemas lack the table.
        using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'repository_sharing'";
        if (Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            return;
        }

        using var insert = Prepare(connection, transaction,
            "INSERT INTO repository_sharing (repository, private, share_feedback, updated_at) VALUES ($repo, $private, $share, $at)", "$repo", "$private", "$share", "$at");
        for (var r = 0; r < Repositories; r++)
        {
            // Most public; a few private, half of those sharing their feedback.
            var isPrivate = r % 10 == 9;
            Run(insert, Repository(r), isPrivate ? 1 : 0, isPrivate && r % 20 == 19 ? 1 : 0, Millis(0));
        }
    }

    private void WriteReviews(SqliteConnection connection, SqliteTransaction transaction, List<string> promptHashes)
    {
        using var review = Prepare(connection, transaction, """
            INSERT INTO reviews (id, repository, pr_number, head_sha, base_sha, status, attempts, github_review_id, summary_json, created_at, finished_at)
            VALUES ($id, $repo, $pr, $head, $base, 'posted', 1, $github, $summary, $at, $at)
            """, "$id", "$repo", "$pr", "$head", "$base", "$github", "$summary", "$at");
        using var link = Prepare(connection, transaction, "INSERT OR IGNORE INTO review_prompts (review_id, sha256) VALUES ($review, $sha)", "$review", "$sha");
        using var call = Prepare(connection, transaction, """
            INSERT INTO model_calls (review_id, chunk_index, sample_index, attempt, prompt_sha256, model, temperature, max_output_tokens,
                prompt_tokens, cached_prompt_tokens, completion_tokens, started_at, latency_ms, finish_reason, completion, outcome, error)
            VALUES ($review, $chunk, $sample, 0, $sha, $model, $temperature, 4096, $prompt_tokens, 0, $completion_tokens, $at, $latency, 'stop', $completion, 'parsed', NULL)
            """, "$review", "$chunk", "$sample", "$sha", "$model", "$temperature", "$prompt_tokens", "$completion_tokens", "$at", "$latency", "$completion");
        using var candidate = Prepare(connection, transaction, """
            INSERT INTO candidates_v2 (review_id, candidate_index, chunk_index, sample_index, attempt, position, prompt_sha256, model_path,
                model_line, model_end_line, path, side, start_line, line, quote, severity, body, group_id, support, score, reason_code, reason, posted, fingerprint)
            VALUES ($review, $index, $chunk, $sample, 0, $position, $sha, $path, $line, $line, $path, 'RIGHT', NULL, $line, $quote, $severity, $body,
                $group, $support, $score, $reason_code, $reason, $posted, $fingerprint)
            """, "$review", "$index", "$chunk", "$sample", "$position", "$sha", "$path", "$line", "$quote", "$severity", "$body", "$group", "$support",
            "$score", "$reason_code", "$reason", "$posted", "$fingerprint");
        using var comment = Prepare(connection, transaction, """
            INSERT INTO review_comments (review_id, fingerprint, github_comment_id, placement, path, line, side, start_line, quote, body, group_id)
            VALUES ($review, $fingerprint, $github, 'inline', $path, $line, 'RIGHT', NULL, $quote, $body, $group)
            """, "$review", "$fingerprint", "$github", "$path", "$line", "$quote", "$body", "$group");

        // Enough comments for about twelve events each, as on a busy installation's most discussed pull requests.
        var reviewsWanted = Math.Max(10, options.Events / 50);
        long githubCommentId = 2_000_000_000;
        var pullRequest = 0;
        var headsLeft = 0;
        string repository = "";
        for (long id = 1; id <= reviewsWanted; id++)
        {
            if (headsLeft == 0)
            {
                pullRequest++;
                repository = Repository(_random.Next(Repositories));
                headsLeft = 1 + _random.Next(3);
            }

            headsLeft--;
            var head = Sha(id * 7919);
            var at = Millis(id * 1_500_000L / Math.Max(1, reviewsWanted / 20_000));
            var precision = new[] { 0.3, 0.5, 0.5, 0.7 }[_random.Next(4)];
            var model = Models[(int)(id % Models.Length)];
            Run(review, id, repository, pullRequest, head, Sha(id * 104729), 3_000_000_000L + id,
                $$"""{"posted":4,"precision":{{precision.ToString(CultureInfo.InvariantCulture)}},"model":"{{model}}"}""", at);
            _reviews++;
            for (var chunk = 0; chunk < ChunksPerReview; chunk++)
            {
                var sha = promptHashes[(int)((id * ChunksPerReview + chunk) % promptHashes.Count)];
                Run(link, id, sha);
                _chunks.Add((id, chunk, repository, pullRequest, head));
                var groups = 2 + _random.Next(2);
                var candidateIndex = chunk * 100;
                for (var sample = 0; sample < SamplesPerChunk; sample++)
                {
                    var highlights = Enumerable.Range(0, groups).Select(g => NewHighlight(id, chunk, g)).ToList();
                    Run(call, id, chunk, sample, sha, model, 0.7, 6_000 + _random.Next(20_000), 300 + _random.Next(900), at, 4_000 + _random.Next(30_000),
                        Completion(highlights));
                    _calls++;
                    for (var g = 0; g < groups; g++)
                    {
                        var h = highlights[g];
                        var posted = sample == 0;
                        var fingerprint = posted ? Fingerprint(id, chunk, g) : null;
                        Run(candidate, id, candidateIndex++, chunk, sample, g, sha, h.Path, h.Line, h.Quote, h.Severity, h.Body, g, SamplesPerChunk,
                            0.35 + 0.6 * _random.NextDouble(), posted ? "kept" : "duplicate", posted ? "posted" : "same place as a kept highlight",
                            posted ? 1 : 0, fingerprint);
                        _candidates++;
                        if (posted)
                        {
                            githubCommentId++;
                            Run(comment, id, fingerprint, githubCommentId, h.Path, h.Line, h.Quote, h.Body, g);
                            _comments.Add(new Comment(id, fingerprint!, githubCommentId, repository, pullRequest, head, h.Path, h.Line, chunk));
                        }
                    }
                }
            }
        }
    }

    private void WriteEvents(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var insert = Prepare(connection, transaction, """
            INSERT INTO feedback_events (source_key, repository, pr_number, kind, value, rating, content, text, rater_login, rater_permission,
                rater_is_author, occurred_at, recorded_at, review_id, fingerprint, github_comment_id, github_reply_id, github_reaction_id,
                github_thread_id, head_sha, path, line, chunk_index)
            VALUES ($key, $repo, $pr, $kind, $value, $rating, $content, $text, $login, $permission, $author, $at, $at, $review, $fingerprint,
                $comment, $reply, $reaction, $thread, $head, $path, $line, $chunk)
            """, "$key", "$repo", "$pr", "$kind", "$value", "$rating", "$content", "$text", "$login", "$permission", "$author", "$at", "$review",
            "$fingerprint", "$comment", "$reply", "$reaction", "$thread", "$head", "$path", "$line", "$chunk");
        var raters = Enumerable.Range(0, 5_000).Select(i => (Login: $"dev-{i:x4}{(i % 7 == 0 ? "-bot-free" : "")}", Permission: Permissions[i % Permissions.Length])).ToArray();
        for (var i = 0; i < options.Events; i++)
        {
            var c = _comments[_random.Next(_comments.Count)];
            var rater = raters[_random.Next(raters.Length)];
            var author = _random.Next(10) == 0 ? 1 : 0;
            var at = Millis(c.Review * 75_000 + i % 10_000 * 1_000L);
            var roll = _random.Next(100);
            object? value = null, rating = null, content = null, text = null, reply = null, reaction = null, thread = null, chunk = null;
            object? review = c.Review, fingerprint = c.Fingerprint, comment = c.GitHubId, path = c.Path, line = c.Line;
            string kind, key;
            if (roll < 45)
            {
                kind = "reaction";
                var verdict = _random.Next(10);
                content = verdict < 6 ? Positive[_random.Next(Positive.Length)] : verdict < 9 ? Negative[_random.Next(Negative.Length)] : Neutral[_random.Next(Neutral.Length)];
                value = verdict < 6 ? "positive" : verdict < 9 ? "negative" : "neutral";
                reaction = 9_000_000_000L + i;
                key = $"reaction:{reaction}";
            }
            else if (roll < 50)
            {
                kind = "reaction_retracted";
                content = Positive[_random.Next(Positive.Length)];
                value = "positive";
                reaction = 9_000_000_000L + i;
                key = $"reaction:{reaction}:retracted";
            }
            else if (roll < 65)
            {
                kind = "reply";
                text = Reply(i);
                reply = 5_000_000_000L + i;
                key = $"reply:{reply}";
            }
            else if (roll < 84)
            {
                var command = _random.Next(4);
                kind = command switch { 0 => "command_good", 1 => "command_nit", 2 => "command_wrong", _ => "command_rate" };
                var score = 1 + _random.Next(7);
                value = command switch { 0 => "positive", 1 => "neutral", 2 => "negative", _ => score >= 5 ? "positive" : score == 4 ? "neutral" : "negative" };
                rating = command == 3 ? score : null;
                content = command switch { 0 => "/critic good", 1 => "/critic nit", 2 => "/critic wrong", _ => $"/critic rate {score}" };
                reply = 5_000_000_000L + i;
                key = $"command:{reply}";
            }
            else if (roll < 91)
            {
                kind = _random.Next(4) == 0 ? "thread_unresolved" : "thread_resolved";
                thread = $"PRRT_kwDO{i:x8}";
                key = $"thread:{Guid.NewGuid()}";
            }
            else if (roll < 96)
            {
                kind = "addressed";
                rater = (null!, null!);
                author = -1;
                key = $"addressed:{c.Review}:{c.Fingerprint}:{i}";
            }
            else
            {
                kind = "missed_bug";
                var (chunkReview, chunkIndex, repository, pullRequest, head) = _chunks[_random.Next(_chunks.Count)];
                review = chunkReview;
                chunk = chunkIndex;
                fingerprint = null;
                comment = 6_000_000_000L + i;
                path = $"src/module{_random.Next(40)}/file{_random.Next(30)}.cs";
                line = 1 + _random.Next(400);
                text = $"The loop at {path}:{line} reads one element past the end when the list is empty; the critic did not flag it.";
                key = $"missed:{comment}";
                Run(insert, key, repository, pullRequest, kind, null, null, $"/critic missed {path}:{line}", text, rater.Login, rater.Permission,
                    author, at, review, null, comment, null, null, null, head, path, line, chunk);
                continue;
            }

            Run(insert, key, c.Repository, c.PullRequest, kind, value, rating, content, text, rater.Login, rater.Permission,
                author < 0 ? null : author, at, review, fingerprint, comment, reply, reaction, thread, c.HeadSha, path, line, chunk);
        }
    }

    private Highlight NewHighlight(long review, int chunk, int group)
    {
        var path = $"src/module{(review + group) % 40}/file{(review * 3 + chunk) % 30}.cs";
        var line = 10 + _random.Next(380);
        var quote = $"for (var i = 0; i <= items.Count; i++) total += items[i]; // {review}-{chunk}-{group}";
        var severity = Severities[_random.Next(Severities.Length)];
        var body = severity switch
        {
            "bug" => "Off by one: the loop runs while i <= items.Count, so the last iteration reads past the end of the list and throws ArgumentOutOfRangeException. Use i < items.Count.",
            "risk" => "This swallows every exception, including cancellation; a failed write would be reported as success. Catch the specific IOException you expect and let the rest propagate.",
            _ => "The variable name `tmp` says nothing about what it holds; `pendingBatch` would make the flush logic below easier to follow.",
        };
        return new Highlight(path, line, quote, severity, body);
    }

    private static string Completion(List<Highlight> highlights)
    {
        var text = new StringBuilder("{\"comments\":[");
        for (var i = 0; i < highlights.Count; i++)
        {
            var h = highlights[i];
            text.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture,
                $$"""{"path":"{{h.Path}}","line":{{h.Line}},"quote":"{{h.Quote}}","severity":"{{h.Severity}}","comment":"{{h.Body.Replace("`", "'", StringComparison.Ordinal)}}"}""");
        }

        return text.Append("]}").ToString();
    }

    private static string SystemPrompt(int variant)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"You are CriticBot (prompt v{variant + 1}), a careful reviewer of code changes. Find real bugs in the diff below: ");
        for (var i = 0; i < 24; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"Rule {i + 1}: quote the exact changed line you criticise, name its file and line, say what goes wrong and when, and never comment on style unless asked. ");
        }

        text.Append("Answer with JSON: {\"comments\": [{\"path\", \"line\", \"quote\", \"severity\": \"bug|risk|nit\", \"comment\"}]}.");
        return text.ToString();
    }

    private string UserPrompt(int index)
    {
        // A diff chunk: 2 to 24 kB, a few files with hunks of context, added and removed lines.
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Pull request #{index}: Fix the batch writer's flush and retry logic\n\n");
        var target = 2_000 + _random.Next(22_000);
        var file = 0;
        while (text.Length < target)
        {
            text.Append(CultureInfo.InvariantCulture, $"diff --git a/src/module{index % 40}/file{file}.cs b/src/module{index % 40}/file{file}.cs\n--- a/src/module{index % 40}/file{file}.cs\n+++ b/src/module{index % 40}/file{file}.cs\n");
            text.Append(CultureInfo.InvariantCulture, $"@@ -{10 + file * 40},12 +{10 + file * 40},14 @@ public sealed class BatchWriter{file}\n");
            for (var line = 0; line < 14 && text.Length < target; line++)
            {
                var prefix = (line % 5) switch { 1 => "+", 3 => "-", _ => " " };
                text.Append(CultureInfo.InvariantCulture, $"{prefix}        var pending{line} = await _queue.TakeAsync(batchSize: {line * 16 + file}, cancellationToken); // {index}\n");
            }

            file++;
        }

        return text.ToString();
    }

    private string Reply(int i) => (i % 4) switch
    {
        0 => "Good catch, fixed in the next push.",
        1 => "This is intentional: the list always has a sentinel element at the end, so <= is right here. See the comment at the top of the class.",
        2 => "Not sure about this one. @reviewer can you take a look? The retry path was rewritten last week and I may have missed the case you describe.",
        _ => $"Thanks! Tracked as issue #{_random.Next(9_999)}.",
    };

    private static string Repository(int r) => $"org-{r % 8}/service-{r}";

    private static string Sha(long seed) => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(seed)))[..40];

    private static string Fingerprint(long review, int chunk, int group) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{review}/{chunk}/{group}")))[..16];

    private static long Millis(long offset) => Start.ToUnixTimeMilliseconds() + offset;

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Highlight(string Path, int Line, string Quote, string Severity, string Body);

    private sealed record Comment(long Review, string Fingerprint, long GitHubId, string Repository, int PullRequest, string HeadSha, string Path, int Line, int Chunk);
}
