namespace CriticBot.Storage;

/// <summary>
/// Ordered schema scripts, one set for both databases; a version is applied once and recorded in
/// schema_migrations. Never edit a shipped script's effect: add the next one. The SQL is portable: TEXT, INTEGER
/// (32-bit), BIGINT (ids, GitHub ids, unix-millisecond timestamps), DOUBLE PRECISION; the rest are dialect
/// placeholders that <see cref="SqlDatabase.Render"/> fills: {id} (a 64-bit key the database assigns),
/// {covering: ...} (index columns only SQLite keeps, see <see cref="SqlDatabase.Render"/>) and
/// {blob} (BLOB / BYTEA). Script 1 was first written for SQLite alone; its portable form renders an equivalent
/// schema there (SQLite gives BIGINT and INTEGER the same affinity), so existing files need nothing.
/// </summary>
internal static class Migrations
{
    /// <summary>Each script may hold several statements; it runs in the migration transaction.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } =
    [
        (1, "deliveries, installations, reviews, candidates, prompts, posted comments", """
            CREATE TABLE deliveries (
                id {id},
                delivery_id TEXT NOT NULL UNIQUE,
                event TEXT NOT NULL,
                action TEXT NULL,
                installation_id BIGINT NULL,
                repository TEXT NULL,
                pull_request INTEGER NULL,
                body {blob} NOT NULL,
                body_encoding TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                claimed_by TEXT NULL,
                lease_until BIGINT NULL,
                last_error TEXT NULL,
                outcome TEXT NULL,
                received_at BIGINT NOT NULL,
                finished_at BIGINT NULL
            );
            CREATE INDEX ix_deliveries_ready ON deliveries (status, next_attempt_at);
            CREATE INDEX ix_deliveries_pull_request ON deliveries (repository, pull_request, status);

            CREATE TABLE installations (
                installation_id BIGINT PRIMARY KEY,
                account TEXT NOT NULL,
                last_action TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            );

            CREATE TABLE reviews (
                id {id},
                repository TEXT NOT NULL,
                pr_number INTEGER NOT NULL,
                head_sha TEXT NOT NULL,
                base_sha TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT NULL,
                claimed_by TEXT NULL,
                lease_until BIGINT NULL,
                attempts INTEGER NOT NULL DEFAULT 1,
                github_review_id BIGINT NULL,
                summary_json TEXT NULL,
                created_at BIGINT NOT NULL,
                finished_at BIGINT NULL,
                UNIQUE (repository, pr_number, head_sha)
            );
            CREATE INDEX ix_reviews_pull_request ON reviews (repository, pr_number, status);

            CREATE TABLE prompts (
                sha256 TEXT PRIMARY KEY,
                system_prompt TEXT NOT NULL,
                user_prompt TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE review_prompts (
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                sha256 TEXT NOT NULL REFERENCES prompts (sha256),
                PRIMARY KEY (review_id, sha256)
            );

            CREATE TABLE candidates (
                id {id},
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                chunk_index INTEGER NOT NULL,
                sample_index INTEGER NOT NULL,
                prompt_sha256 TEXT NOT NULL,
                path TEXT NULL,
                side TEXT NULL,
                line INTEGER NULL,
                start_line INTEGER NULL,
                quote TEXT NOT NULL,
                severity TEXT NULL,
                body TEXT NOT NULL,
                score DOUBLE PRECISION NULL,
                support INTEGER NULL,
                decision TEXT NOT NULL,
                reason TEXT NULL,
                posted INTEGER NOT NULL
            );
            CREATE INDEX ix_candidates_review ON candidates (review_id);

            CREATE TABLE posted_comments (
                id {id},
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                github_comment_id BIGINT NOT NULL,
                path TEXT NOT NULL,
                line INTEGER NOT NULL,
                side TEXT NOT NULL,
                start_line INTEGER NULL,
                quote TEXT NOT NULL,
                body TEXT NOT NULL,
                fingerprint TEXT NOT NULL
            );
            CREATE INDEX ix_posted_comments_review ON posted_comments (review_id);
            """),

        // Portable SQL (SQLite and PostgreSQL alike): natural primary keys, no identity columns, BIGINT ids and
        // unix-millisecond times, DOUBLE PRECISION scores, 0/1 INTEGER flags (as in script 1, so `db copy` moves
        // SQLite's integers into PostgreSQL unchanged).
        (2, "research log: model calls, candidates v2, review comments with real GitHub ids", """
            CREATE TABLE model_calls (
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                chunk_index INTEGER NOT NULL,
                sample_index INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                prompt_sha256 TEXT NOT NULL REFERENCES prompts (sha256),
                model TEXT NULL,
                temperature DOUBLE PRECISION NOT NULL,
                max_output_tokens INTEGER NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                cached_prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                started_at BIGINT NOT NULL,
                latency_ms BIGINT NOT NULL,
                finish_reason TEXT NULL,
                completion TEXT NULL,
                outcome TEXT NOT NULL,
                error TEXT NULL,
                PRIMARY KEY (review_id, chunk_index, sample_index, attempt)
            );
            CREATE INDEX ix_model_calls_prompt ON model_calls (prompt_sha256);

            CREATE TABLE candidates_v2 (
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                candidate_index INTEGER NOT NULL,
                chunk_index INTEGER NOT NULL,
                sample_index INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                position INTEGER NOT NULL,
                prompt_sha256 TEXT NOT NULL,
                model_path TEXT NOT NULL,
                model_line INTEGER NULL,
                model_end_line INTEGER NULL,
                path TEXT NULL,
                side TEXT NULL,
                start_line INTEGER NULL,
                line INTEGER NULL,
                quote TEXT NOT NULL,
                severity TEXT NOT NULL,
                body TEXT NOT NULL,
                group_id INTEGER NULL,
                support INTEGER NULL,
                score DOUBLE PRECISION NULL,
                reason_code TEXT NOT NULL,
                reason TEXT NOT NULL,
                posted INTEGER NOT NULL,
                fingerprint TEXT NULL,
                PRIMARY KEY (review_id, candidate_index),
                FOREIGN KEY (review_id, chunk_index, sample_index, attempt)
                    REFERENCES model_calls (review_id, chunk_index, sample_index, attempt)
            );
            CREATE INDEX ix_candidates_v2_call ON candidates_v2 (review_id, chunk_index, sample_index, attempt);

            CREATE TABLE review_comments (
                review_id BIGINT NOT NULL REFERENCES reviews (id),
                fingerprint TEXT NOT NULL,
                github_comment_id BIGINT NULL CHECK (github_comment_id IS NULL OR github_comment_id > 0),
                placement TEXT NOT NULL,
                path TEXT NOT NULL,
                line INTEGER NOT NULL,
                side TEXT NOT NULL,
                start_line INTEGER NULL,
                quote TEXT NOT NULL,
                body TEXT NOT NULL,
                group_id INTEGER NULL,
                PRIMARY KEY (review_id, fingerprint)
            );

            INSERT INTO review_comments (review_id, fingerprint, github_comment_id, placement, path, line, side, start_line, quote, body)
            SELECT review_id, fingerprint, CASE WHEN MAX(github_comment_id) > 0 THEN MAX(github_comment_id) END,
                CASE WHEN MAX(github_comment_id) > 0 THEN 'inline' ELSE 'review_body' END,
                MIN(path), MIN(line), MIN(side), MIN(start_line), MIN(quote), MIN(body)
            FROM posted_comments GROUP BY review_id, fingerprint;
            DROP TABLE posted_comments;

            CREATE INDEX ix_deliveries_installation ON deliveries (installation_id);
            """),
        (3, "model call budgets", """
            CREATE TABLE model_call_budgets (
                scope TEXT NOT NULL,
                subject TEXT NOT NULL,
                window_start BIGINT NOT NULL,
                used INTEGER NOT NULL,
                PRIMARY KEY (scope, subject, window_start)
            );
            CREATE INDEX ix_model_call_budgets_window ON model_call_budgets (window_start);
            """),
        // Feedback (docs/feedback.md): an append-only event log (every signal a new row; source_key makes a
        // redelivered or re-polled signal a no-op), the reactions poller's shared state per pull request (a lease, like
        // deliveries, so replicas split the work) and the last reactions seen per comment (to find the vanished ones).
        (4, "feedback events, reaction polls", """
            CREATE TABLE feedback_events (
                id {id},
                source_key TEXT NOT NULL UNIQUE,
                repository TEXT NOT NULL,
                pr_number INTEGER NOT NULL,
                kind TEXT NOT NULL,
                value TEXT NULL,
                rating INTEGER NULL,
                content TEXT NULL,
                text TEXT NULL,
                rater_login TEXT NULL,
                rater_permission TEXT NULL,
                rater_is_author INTEGER NULL,
                occurred_at BIGINT NOT NULL,
                recorded_at BIGINT NOT NULL,
                review_id BIGINT NULL,
                fingerprint TEXT NULL,
                github_comment_id BIGINT NULL,
                github_reply_id BIGINT NULL,
                github_reaction_id BIGINT NULL,
                github_thread_id TEXT NULL,
                head_sha TEXT NULL,
                path TEXT NULL,
                line INTEGER NULL,
                chunk_index INTEGER NULL
            );
            CREATE INDEX ix_feedback_events_pull_request ON feedback_events (repository, pr_number);
            CREATE INDEX ix_feedback_events_comment ON feedback_events (review_id, fingerprint);

            CREATE TABLE feedback_polls (
                repository TEXT NOT NULL,
                pr_number INTEGER NOT NULL,
                installation_id BIGINT NOT NULL,
                author_login TEXT NULL,
                closed_at BIGINT NULL,
                finished INTEGER NOT NULL DEFAULT 0,
                next_poll_at BIGINT NOT NULL,
                claimed_by TEXT NULL,
                lease_until BIGINT NULL,
                etag TEXT NULL,
                last_polled_at BIGINT NULL,
                PRIMARY KEY (repository, pr_number)
            );
            CREATE INDEX ix_feedback_polls_due ON feedback_polls (finished, next_poll_at);

            CREATE TABLE feedback_comment_state (
                github_comment_id BIGINT PRIMARY KEY,
                counts TEXT NOT NULL,
                reactions TEXT NOT NULL
            );
            """),
        // Export (docs/export.md): each repository's visibility (the webhook's repository.private) and its
        // share_feedback setting as last seen at review time, so private repositories are exported only with consent;
        // the keys the export uses (the pseudonym key, generated once so pseudonyms are stable across exports); and
        // the index the export's join from an event to its posted candidate needs.
        (5, "repository sharing, export keys", """
            CREATE TABLE repository_sharing (
                repository TEXT PRIMARY KEY,
                private INTEGER NULL,
                share_feedback INTEGER NOT NULL,
                updated_at BIGINT NOT NULL
            );

            CREATE TABLE export_keys (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );

            CREATE INDEX ix_candidates_v2_fingerprint ON candidates_v2 (review_id, fingerprint);
            """),
        // Export speed (docs/performance.md, "Export"): the export reads every event in comment order. Through the
        // old (review_id, fingerprint) index each event was a random fetch from the table, two thirds of the query's
        // time on a million events; this index holds the columns the export reads, so the walk reads the index alone,
        // in order. It serves every (review_id, fingerprint) look-up the old one did. On SQLite it costs about as
        // much disk as the table's own event rows; PostgreSQL keys on the leading columns only (SqlDatabase.Render).
        (6, "export index on feedback events", """
            CREATE INDEX ix_feedback_events_export ON feedback_events (review_id, fingerprint, id{covering: , occurred_at, repository,
                pr_number, kind, value, rating, content, rater_login, rater_permission, rater_is_author, github_reaction_id, head_sha,
                path, line, chunk_index, text});
            DROP INDEX ix_feedback_events_comment;
            """),
    ];
}
