"""The schema, as numbered migrations applied on open (idempotent).

Add a change as a new function at the end, named ``mNNN_what``; never edit an
applied one. sqlite-utils records applied migrations in ``_sqlite_migrations``.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from annotator.store.connection import write_transaction

migrations = Migrations("labelloop")


def _run(db: sqlite_utils.Database, script: str) -> None:
    """Run ``;``-separated statements (``--`` comments removed first) in the caller's transaction."""
    script = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL            -- JSON
        );
        CREATE TABLE labelset (
            name TEXT PRIMARY KEY,
            position INTEGER NOT NULL UNIQUE,
            created_at REAL NOT NULL
        );
        CREATE TABLE examples (
            id INTEGER PRIMARY KEY,
            ext_id TEXT,                   -- the id column of the imported file, if any
            text TEXT NOT NULL,
            meta TEXT,                     -- JSON object of the other columns
            source TEXT,                   -- file the example came from
            text_hash TEXT NOT NULL UNIQUE,
            is_eval INTEGER NOT NULL DEFAULT 0,   -- reserved evaluation item: never trained on
            created_at REAL NOT NULL
        );
        CREATE INDEX examples_ext_id ON examples(ext_id);
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('annotator', 'lead')),
            password_hash TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL
        );
        -- Append-only history. Rows are never deleted; a newer label, an undo or an
        -- adjudication only marks older rows superseded.
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            example_id INTEGER NOT NULL REFERENCES examples(id),
            label TEXT NOT NULL REFERENCES labelset(name),
            annotator TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'annotation'
                CHECK (kind IN ('annotation', 'import', 'adjudication')),
            created_at REAL NOT NULL,
            seconds REAL,                  -- time spent on the item
            model_version INTEGER,         -- model version whose ranking served the item
            strategy TEXT,
            score REAL,
            superseded INTEGER NOT NULL DEFAULT 0,
            superseded_at REAL,
            superseded_reason TEXT         -- relabel | undo | adjudication
        );
        CREATE UNIQUE INDEX labels_one_current
            ON labels(example_id, annotator) WHERE superseded = 0;
        CREATE INDEX labels_current_example ON labels(example_id) WHERE superseded = 0;
        CREATE INDEX labels_annotator_time ON labels(annotator, created_at);
        CREATE TABLE leases (
            example_id INTEGER NOT NULL REFERENCES examples(id),
            annotator TEXT NOT NULL,
            leased_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            model_version INTEGER,
            strategy TEXT,
            score REAL,
            PRIMARY KEY (example_id, annotator)
        );
        CREATE INDEX leases_annotator ON leases(annotator);
        CREATE INDEX leases_expires ON leases(expires_at);
        -- Items an annotator skipped: not served to them again until released.
        CREATE TABLE skips (
            example_id INTEGER NOT NULL REFERENCES examples(id),
            annotator TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (example_id, annotator)
        );
        CREATE TABLE model_versions (
            version INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,            -- coldstart | head | finetune
            encoder_version INTEGER,       -- fine-tuned version whose encoder embeds the pool (0 = base model)
            path TEXT,                     -- models/vN for a fine-tuned version
            strategy TEXT,
            n_labels INTEGER NOT NULL DEFAULT 0,
            metrics TEXT,                  -- JSON
            created_at REAL NOT NULL
        );
        CREATE TABLE scores (
            version INTEGER NOT NULL REFERENCES model_versions(version),
            example_id INTEGER NOT NULL REFERENCES examples(id),
            rank INTEGER NOT NULL,         -- 0 = most informative
            score REAL,
            predicted TEXT,
            confidence REAL,
            PRIMARY KEY (version, example_id)
        );
        CREATE INDEX scores_rank ON scores(version, rank);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,            -- embed | refresh | finetune | score
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
            progress REAL NOT NULL DEFAULT 0,
            message TEXT,
            error TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            heartbeat_at REAL,
            pid INTEGER
        );
        CREATE INDEX jobs_status ON jobs(status, kind)
        """,
    )


@migrations()
def m002_login_attempts(db: sqlite_utils.Database) -> None:
    """Failed sign-ins per user name (known or not), so throttling works across processes."""
    _run(
        db,
        """
        CREATE TABLE login_attempts (
            name TEXT PRIMARY KEY,         -- the name typed, whether or not such a user exists
            failures INTEGER NOT NULL,
            first_failure_at REAL NOT NULL,
            last_failure_at REAL NOT NULL,
            locked_until REAL NOT NULL     -- no attempt is checked before this time
        )
        """,
    )


@migrations()
def m002_queue(db: sqlite_utils.Database) -> None:
    """Queue serving: find unlabeled evaluation items without scanning the pool;
    mark versions whose scores were pruned (only the newest versions keep scores)."""
    _run(
        db,
        """
        CREATE INDEX examples_eval ON examples(id) WHERE is_eval = 1;
        ALTER TABLE model_versions ADD COLUMN n_scored INTEGER;
        ALTER TABLE model_versions ADD COLUMN scores_pruned_at REAL
        """,
    )


@migrations()
def m003_dashboard_indexes(db: sqlite_utils.Database) -> None:
    """Covering indexes for the lead dashboard's aggregates over current labels and
    per-annotator activity, so they read an index instead of the table (fast at 100k labels)."""
    _run(
        db,
        """
        CREATE INDEX labels_current_cover
            ON labels(example_id, annotator, label, kind, created_at, superseded) WHERE superseded = 0;
        CREATE INDEX labels_annotation_activity
            ON labels(annotator, created_at, seconds, superseded, kind) WHERE kind = 'annotation'
        """,
    )

@migrations()
def m004_staged_publish(db: sqlite_utils.Database) -> None:
    """A version's scores are written in short chunks while ``published_at`` is NULL, then the
    version becomes visible in one small transaction (annotators never wait behind a 100k-row write)."""
    _run(
        db,
        """
        ALTER TABLE model_versions ADD COLUMN published_at REAL;
        UPDATE model_versions SET published_at = created_at
        """,
    )


@migrations()
def m005_version_heads(db: sqlite_utils.Database) -> None:
    """The predictor of each version: the embedding head's weights (``EmbeddingHead.linear()``),
    over the embeddings of encoder ``encoder_version``; written when the version is published,
    so what is evaluated, suggested and exported is one stored model. Jobs get parameters and a
    result, for work a page queues for the worker."""
    _run(
        db,
        """
        CREATE TABLE version_heads (
            version INTEGER PRIMARY KEY REFERENCES model_versions(version),
            encoder_version INTEGER NOT NULL,   -- 0 = the base model
            classes TEXT NOT NULL,              -- JSON list, the rows of coef
            dim INTEGER NOT NULL,
            coef BLOB NOT NULL,                 -- float64, classes x dim, row-major
            intercept BLOB NOT NULL             -- float64, one per class
        );
        -- Jobs a page asks the worker for (predictions over the pool): what to do, and what came out.
        ALTER TABLE jobs ADD COLUMN params TEXT;   -- JSON
        ALTER TABLE jobs ADD COLUMN result TEXT    -- JSON
        """,
    )


@migrations()
def m006_sign_in_hardening(db: sqlite_utils.Database) -> None:
    """Sessions end when a user's credentials change; sign-in throttling per (name, client),
    per client and per name, with each attempt reserved before its password is checked.

    ``credential_stamp`` is a random value that a new password, a role change and a
    (de)activation replace: a session (and later a session token) remembers the stamp it
    was issued under and is void once it differs. The old per-name failure table goes:
    its records are short-lived and the new table counts differently."""
    _run(
        db,
        """
        ALTER TABLE users ADD COLUMN credential_stamp TEXT NOT NULL DEFAULT '';
        UPDATE users SET credential_stamp = lower(hex(randomblob(16)));
        DROP TABLE login_attempts;
        CREATE TABLE sign_in_throttle (
            scope TEXT NOT NULL CHECK (scope IN ('pair', 'client', 'name')),
            name TEXT NOT NULL,            -- the name typed ('' for scope client)
            client TEXT NOT NULL,          -- the client's address ('' for scope name)
            failures INTEGER NOT NULL,     -- attempts since the last success, each counted before its check
            seen_at REAL NOT NULL,         -- the last attempt (or success)
            locked_until REAL NOT NULL,    -- no attempt is checked before this time
            trusted_until REAL,            -- pair: signed in from this client; the per-name ceiling spares it
            PRIMARY KEY (scope, name, client)
        );
        CREATE INDEX sign_in_throttle_seen ON sign_in_throttle(seen_at)
        """,
    )


@migrations()
def m007_late_labels(db: sqlite_utils.Database) -> None:
    """A label saved without a live lease of its annotator (the lease ran out, or was never
    taken) is kept but marked late, so the lead sees it instead of a silent second label."""
    _run(
        db,
        """
        ALTER TABLE labels ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX labels_late ON labels(example_id) WHERE late = 1
        """,
    )


@migrations()
def m008_quarantined_versions(db: sqlite_utils.Database) -> None:
    """A fine-tuned version whose model files fail their checksums (or are gone) is quarantined:
    never loaded, warm-started from or exported again; the reason is kept."""
    _run(
        db,
        """
        ALTER TABLE model_versions ADD COLUMN quarantined TEXT   -- why; NULL = sound
        """,
    )


@migrations()
def m009_lease_presence(db: sqlite_utils.Database) -> None:
    """When the page holding a lease last showed it was alive: a lease whose page went away (tab
    closed, app crashed) stops blocking its text after a few minutes, not after the whole lease."""
    _run(
        db,
        """
        ALTER TABLE leases ADD COLUMN seen_at REAL;
        UPDATE leases SET seen_at = leased_at
        """,
    )


@migrations()
def m010_version_watermark(db: sqlite_utils.Database) -> None:
    """The newest label row a version had seen, as a column (it was a key of the metrics JSON):
    "new labels since this version" is a comparison of label ids with it."""
    _run(
        db,
        """
        ALTER TABLE model_versions ADD COLUMN watermark INTEGER NOT NULL DEFAULT 0;
        UPDATE model_versions SET watermark = COALESCE(CAST(json_extract(metrics, '$.max_label_id') AS INTEGER), 0)
        """,
    )


@migrations()
def m012_search_provenance(db: sqlite_utils.Database) -> None:
    """The search that found a text, kept with each label given from the Explore page or by
    ``labelloop``'s search (strategy ``search``): JSON of the query and its filters, NULL for every
    other label. Lets exports and the learning curve tell searched labels apart from queued ones."""
    _run(
        db,
        """
        ALTER TABLE labels ADD COLUMN search_query TEXT   -- JSON; NULL = not labeled from a search
        """,
    )


@migrations()
def m011_sessions(db: sqlite_utils.Database) -> None:
    """Sign-in sessions kept on the server, so a reload or a new tab stays signed in
    (annotator.services.sessions): the browser holds a random token, the table only its SHA-256.
    A session is void once it expires, is deleted (sign-out, a password reset, a deactivation)
    or its user's credential stamp differs from the one it was issued under."""
    _run(
        db,
        """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,   -- SHA-256 (hex) of the token; the token is never stored
            user TEXT NOT NULL,
            stamp TEXT NOT NULL,           -- the user's credential stamp when it was issued
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            seen_at REAL NOT NULL,         -- the last time it was used to open the app
            client TEXT                    -- the address it was issued to
        );
        CREATE INDEX sessions_user ON sessions(user);
        CREATE INDEX sessions_expires ON sessions(expires_at)
        """,
    )


@migrations()
def m011_flags_and_comments(db: sqlite_utils.Database) -> None:
    """Flags (this text is broken, ambiguous, offensive, ...) and comments from annotators to the lead.
    A text with a flag that is open or that the lead kept out is not served by the queue; the lead
    returns it (status ``returned``) or keeps it out (``excluded``)."""
    _run(
        db,
        """
        CREATE TABLE flags (
            id INTEGER PRIMARY KEY,
            example_id INTEGER NOT NULL REFERENCES examples(id),
            annotator TEXT NOT NULL,
            reason TEXT NOT NULL,          -- broken | ambiguous | offensive | other
            note TEXT,                     -- the annotator's own words, if any
            created_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'returned', 'excluded')),
            resolved_by TEXT,
            resolved_at REAL
        );
        CREATE INDEX flags_holding ON flags(example_id) WHERE status <> 'returned';
        CREATE INDEX flags_status ON flags(status, created_at);
        CREATE TABLE comments (
            id INTEGER PRIMARY KEY,
            example_id INTEGER NOT NULL REFERENCES examples(id),
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            read_by TEXT,                  -- the lead who marked it read
            read_at REAL
        );
        CREATE INDEX comments_example ON comments(example_id);
        CREATE INDEX comments_unread ON comments(created_at) WHERE read_at IS NULL
        """,
    )


@migrations()
def m011_label_management(db: sqlite_utils.Database) -> None:
    """Renaming, merging and deleting labels, each recorded in ``label_changes``; a label row that a
    merge (or a delete with a move) gave another label keeps the one it was given in
    ``original_label``. ``labels.suggestion`` is the model's suggestion that was on screen when the
    label was given (NULL: none, or hidden), so accepting a suggestion can be told from choosing."""
    _run(
        db,
        """
        ALTER TABLE labels ADD COLUMN suggestion TEXT;
        ALTER TABLE labels ADD COLUMN original_label TEXT;
        CREATE TABLE label_changes (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN ('add', 'rename', 'merge', 'delete')),
            label TEXT NOT NULL,           -- the label added, renamed, merged or deleted
            target TEXT,                   -- its new name, or the label its rows went to
            rows_changed INTEGER NOT NULL DEFAULT 0,
            actor TEXT,                    -- the lead, or NULL from the command line
            created_at REAL NOT NULL
        )
        """,
    )


@migrations()
def m013_multi_label(db: sqlite_utils.Database) -> None:
    """Multi-label projects (issue 14). ``project_meta`` holds what is fixed at creation: ``label_mode``
    (``single`` or ``multi``; a project without the row is single-label). A multi-label annotation is one
    ``labels`` row with ``label`` NULL and its set, possibly empty, in ``label_members``; so ``labels.label``
    becomes nullable: the table is rebuilt from its own stored definition (every column and index kept)."""
    _run(
        db,
        """
        CREATE TABLE project_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    )
    table_sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'labels'").fetchone()[0]
    nullable = table_sql.replace("label TEXT NOT NULL REFERENCES labelset(name)",
                                 "label TEXT REFERENCES labelset(name)")
    if nullable == table_sql:
        raise RuntimeError("m013: unexpected definition of the labels table")
    index_sql = [row[0] for row in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'labels' AND sql IS NOT NULL")]
    db.execute(nullable.replace("CREATE TABLE labels", "CREATE TABLE labels_rebuilt", 1))
    db.execute("INSERT INTO labels_rebuilt SELECT * FROM labels")
    db.execute("DROP TABLE labels")
    db.execute("ALTER TABLE labels_rebuilt RENAME TO labels")
    for sql in index_sql:
        db.execute(sql)
    _run(
        db,
        """
        CREATE TABLE label_members (
            label_id INTEGER NOT NULL REFERENCES labels(id),
            name TEXT NOT NULL REFERENCES labelset(name),
            PRIMARY KEY (label_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX label_members_name ON label_members(name)
        """,
    )


def apply(db: sqlite_utils.Database) -> None:
    """Bring ``db`` to the newest schema; a no-op when it is already there.

    Runs under the write lock so two processes opening a new project at once
    cannot both apply the same migration.
    """
    if "_sqlite_migrations" in db.table_names() and not migrations.pending(db):
        return
    with write_transaction(db):
        migrations.apply(db)
