"""The SQLite schema of ``SqliteStore``, one migration per version.

Each entry upgrades the schema by one version; append, never edit a released entry.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE devices (
        token TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        platform TEXT NOT NULL CHECK (platform IN ('ios', 'android')),
        app_id TEXT NOT NULL,
        registered_at REAL NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX devices_user ON devices (user_id, active);
    CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        request TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'done')),
        created_at REAL NOT NULL
    );
    CREATE INDEX notifications_status ON notifications (status, created_at);
    CREATE TABLE deliveries (
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        platform TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'failed')),
        push_id TEXT,
        http_status INTEGER NOT NULL,
        reason TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX deliveries_notification ON deliveries (notification_id);
    CREATE TABLE engagement_events (
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        event TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX engagement_notification ON engagement_events (notification_id);
    """,
    # 2: installations (token replacement), why a token went inactive, retry counts, segments.
    """
    ALTER TABLE devices ADD COLUMN installation_id TEXT;
    ALTER TABLE devices ADD COLUMN inactive_reason TEXT;
    CREATE INDEX devices_installation ON devices (installation_id, app_id);
    CREATE INDEX devices_active ON devices (active, platform, app_id);
    ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE segments (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL
    );
    """,
)
