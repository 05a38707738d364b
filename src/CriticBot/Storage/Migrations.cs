namespace CriticBot.Storage;

/// <summary>
/// Ordered schema scripts, one set for both databases; a version is applied once and recorded in
/// schema_migrations. Never edit a shipped script's effect: add the next one. The SQL is portable: TEXT, INTEGER
/// (32-bit), BIGINT (ids, GitHub ids, unix-millisecond timestamps), DOUBLE PRECISION; the rest are dialect
/// placeholders that <see cref="SqlDatabase.Render"/> fills: {id} (a 64-bit key the database assigns) and
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
    ];
}
