-- Conversation scripts as edited by administrators. Conversations keep the version they
-- started on; new conversations get the published one.
CREATE TABLE script_versions (
    id           INTEGER PRIMARY KEY,
    script_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    source       TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,  -- bumped on every save: no silent overwrites
    edited_by    TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (script_id, version)
);
CREATE UNIQUE INDEX script_versions_one_draft ON script_versions (script_id) WHERE status = 'draft';
CREATE UNIQUE INDEX script_versions_one_published ON script_versions (script_id)
    WHERE status = 'published';
