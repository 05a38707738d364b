namespace CriticBot.Storage;

/// <summary>
/// Ordered schema scripts; a version is applied once and recorded in schema_migrations. Never edit a shipped
/// script: add the next one. The SQL avoids SQLite-only syntax where a portable form exists; a PostgreSQL port
/// changes only the id columns (INTEGER PRIMARY KEY → BIGINT GENERATED ALWAYS AS IDENTITY) and BLOB → BYTEA.
/// Timestamps are unix milliseconds (INTEGER), compared as numbers.
/// </summary>
internal static class SqliteMigrations
{
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } =
    [
        (1, "deliveries, installations, reviews, candidates, prompts, posted comments", """
            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY,
                delivery_id TEXT NOT NULL UNIQUE,
                event TEXT NOT NULL,
                action TEXT NULL,
                installation_id INTEGER NULL,
                repository TEXT NULL,
                pull_request INTEGER NULL,
                body BLOB NOT NULL,
                body_encoding TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                claimed_by TEXT NULL,
                lease_until INTEGER NULL,
                last_error TEXT NULL,
                outcome TEXT NULL,
                received_at INTEGER NOT NULL,
                finished_at INTEGER NULL
            );
            CREATE INDEX ix_deliveries_ready ON deliveries (status, next_attempt_at);
            CREATE INDEX ix_deliveries_pull_request ON deliveries (repository, pull_request, status);

            CREATE TABLE installations (
                installation_id INTEGER PRIMARY KEY,
                account TEXT NOT NULL,
                last_action TEXT NOT NULL,
                updated_at INTEGER NOT NULL
            );

            CREATE TABLE reviews (
                id INTEGER PRIMARY KEY,
                repository TEXT NOT NULL,
                pr_number INTEGER NOT NULL,
                head_sha TEXT NOT NULL,
                base_sha TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT NULL,
                claimed_by TEXT NULL,
                lease_until INTEGER NULL,
                attempts INTEGER NOT NULL DEFAULT 1,
                github_review_id INTEGER NULL,
                summary_json TEXT NULL,
                created_at INTEGER NOT NULL,
                finished_at INTEGER NULL,
                UNIQUE (repository, pr_number, head_sha)
            );
            CREATE INDEX ix_reviews_pull_request ON reviews (repository, pr_number, status);

            CREATE TABLE prompts (
                sha256 TEXT PRIMARY KEY,
                system_prompt TEXT NOT NULL,
                user_prompt TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );

            CREATE TABLE review_prompts (
                review_id INTEGER NOT NULL REFERENCES reviews (id),
                sha256 TEXT NOT NULL REFERENCES prompts (sha256),
                PRIMARY KEY (review_id, sha256)
            );

            CREATE TABLE candidates (
                id INTEGER PRIMARY KEY,
                review_id INTEGER NOT NULL REFERENCES reviews (id),
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
                score REAL NULL,
                support INTEGER NULL,
                decision TEXT NOT NULL,
                reason TEXT NULL,
                posted INTEGER NOT NULL
            );
            CREATE INDEX ix_candidates_review ON candidates (review_id);

            CREATE TABLE posted_comments (
                id INTEGER PRIMARY KEY,
                review_id INTEGER NOT NULL REFERENCES reviews (id),
                github_comment_id INTEGER NOT NULL,
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

        // Pipeline branch (issue 6 §5): hourly model-call budgets per repository and per author, shared by
        // replicas. Portable as written (BIGINT, composite primary key).
        (2, "model call budgets", """
            CREATE TABLE model_call_budgets (
                scope TEXT NOT NULL,
                subject TEXT NOT NULL,
                window_start BIGINT NOT NULL,
                used INTEGER NOT NULL,
                PRIMARY KEY (scope, subject, window_start)
            );
            CREATE INDEX ix_model_call_budgets_window ON model_call_budgets (window_start);
            """),
    ];
}
