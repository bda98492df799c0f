"""The schemas of ``SqliteStore`` and ``PostgresStore``, one migration per version each.

Each entry upgrades a schema by one version; append, never edit a released entry. The two lists
describe the same tables with each engine's types: PostgreSQL has ``DOUBLE PRECISION`` times and
a ``rowid`` column of its own (SQLite's is implicit), so ``ORDER BY rowid`` means insertion order
on both.
"""

from __future__ import annotations

SQLITE_MIGRATIONS: tuple[str, ...] = (
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
    # 3: work shared by several instances: claims with leases on notifications and batches.
    # Notifications left 'sending' by an older version are resolved again (skipping tokens that
    # have an outcome).
    """
    ALTER TABLE notifications ADD COLUMN owner TEXT;
    ALTER TABLE notifications ADD COLUMN lease_until REAL;
    UPDATE notifications SET status = 'queued' WHERE status = 'sending';
    CREATE TABLE batches (
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        seq INTEGER NOT NULL,
        tokens TEXT NOT NULL,
        owner TEXT,
        lease_until REAL,
        claims INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (notification_id, seq)
    );
    CREATE INDEX batches_open ON batches (done, owner);
    """,
    # 4: loyalty cards, the devices registered for their passes, their updates and outcomes.
    """
    CREATE TABLE cards (
        card_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        platform TEXT NOT NULL CHECK (platform IN ('ios', 'android')),
        program TEXT NOT NULL,
        member_name TEXT NOT NULL,
        points INTEGER NOT NULL,
        tier TEXT NOT NULL,
        auth_token TEXT,
        version INTEGER NOT NULL,
        tag INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX cards_user ON cards (user_id);
    CREATE TABLE pass_registrations (
        device_library_id TEXT NOT NULL,
        pass_type_id TEXT NOT NULL,
        serial_number TEXT NOT NULL,
        push_token TEXT NOT NULL,
        registered_at REAL NOT NULL,
        PRIMARY KEY (device_library_id, pass_type_id, serial_number)
    );
    CREATE INDEX pass_registrations_pass ON pass_registrations (pass_type_id, serial_number);
    CREATE INDEX pass_registrations_token ON pass_registrations (push_token);
    CREATE TABLE card_updates (
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        at REAL NOT NULL,
        points INTEGER NOT NULL,
        tier TEXT NOT NULL,
        PRIMARY KEY (card_id, version)
    );
    CREATE TABLE card_deliveries (
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        target TEXT NOT NULL,
        device_library_id TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'failed')),
        status INTEGER NOT NULL,
        reason TEXT,
        push_id TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX card_deliveries_card ON card_deliveries (card_id, version);
    CREATE TABLE pass_logs (
        at REAL NOT NULL,
        message TEXT NOT NULL
    );
    """,
    # 5: the outbox of card pushes, written with the change that owes them; claimed like batches.
    """
    CREATE TABLE card_pushes (
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        target TEXT NOT NULL,
        device_library_id TEXT,
        points_changed INTEGER NOT NULL DEFAULT 0,
        tier_changed INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL,
        owner TEXT,
        lease_until REAL,
        PRIMARY KEY (card_id, version, target)
    );
    ALTER TABLE card_deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    """,
)

POSTGRES_MIGRATIONS: tuple[str, ...] = (
    # 1: the SQLite schema's first three versions in one.
    """
    CREATE TABLE devices (
        token TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        platform TEXT NOT NULL CHECK (platform IN ('ios', 'android')),
        app_id TEXT NOT NULL,
        registered_at DOUBLE PRECISION NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        installation_id TEXT,
        inactive_reason TEXT
    );
    CREATE INDEX devices_user ON devices (user_id, active);
    CREATE INDEX devices_installation ON devices (installation_id, app_id);
    CREATE INDEX devices_active ON devices (active, platform, app_id);
    CREATE TABLE notifications (
        rowid BIGSERIAL UNIQUE,
        id TEXT PRIMARY KEY,
        request TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'done')),
        created_at DOUBLE PRECISION NOT NULL,
        owner TEXT,
        lease_until DOUBLE PRECISION
    );
    CREATE INDEX notifications_status ON notifications (status, created_at);
    CREATE TABLE deliveries (
        rowid BIGSERIAL PRIMARY KEY,
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        platform TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'failed')),
        push_id TEXT,
        http_status INTEGER NOT NULL,
        reason TEXT,
        at DOUBLE PRECISION NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX deliveries_notification ON deliveries (notification_id, token);
    CREATE TABLE engagement_events (
        rowid BIGSERIAL PRIMARY KEY,
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        token TEXT NOT NULL,
        event TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX engagement_notification ON engagement_events (notification_id);
    CREATE TABLE segments (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL
    );
    CREATE TABLE batches (
        rowid BIGSERIAL UNIQUE,
        notification_id TEXT NOT NULL REFERENCES notifications (id),
        seq INTEGER NOT NULL,
        tokens TEXT NOT NULL,
        owner TEXT,
        lease_until DOUBLE PRECISION,
        claims INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (notification_id, seq)
    );
    CREATE INDEX batches_open ON batches (rowid) WHERE done = 0;
    """,
    # 2: loyalty cards, the devices registered for their passes, their updates and outcomes.
    """
    CREATE TABLE cards (
        card_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        platform TEXT NOT NULL CHECK (platform IN ('ios', 'android')),
        program TEXT NOT NULL,
        member_name TEXT NOT NULL,
        points INTEGER NOT NULL,
        tier TEXT NOT NULL,
        auth_token TEXT,
        version INTEGER NOT NULL,
        tag INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX cards_user ON cards (user_id);
    CREATE TABLE pass_registrations (
        device_library_id TEXT NOT NULL,
        pass_type_id TEXT NOT NULL,
        serial_number TEXT NOT NULL,
        push_token TEXT NOT NULL,
        registered_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (device_library_id, pass_type_id, serial_number)
    );
    CREATE INDEX pass_registrations_pass ON pass_registrations (pass_type_id, serial_number);
    CREATE INDEX pass_registrations_token ON pass_registrations (push_token);
    CREATE TABLE card_updates (
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        points INTEGER NOT NULL,
        tier TEXT NOT NULL,
        PRIMARY KEY (card_id, version)
    );
    CREATE TABLE card_deliveries (
        rowid BIGSERIAL UNIQUE,
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        target TEXT NOT NULL,
        device_library_id TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'failed')),
        status INTEGER NOT NULL,
        reason TEXT,
        push_id TEXT,
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX card_deliveries_card ON card_deliveries (card_id, version);
    CREATE TABLE pass_logs (
        rowid BIGSERIAL UNIQUE,
        at DOUBLE PRECISION NOT NULL,
        message TEXT NOT NULL
    );
    """,
    # 3: the outbox of card pushes, written with the change that owes them; claimed like batches.
    """
    CREATE TABLE card_pushes (
        rowid BIGSERIAL UNIQUE,
        card_id TEXT NOT NULL REFERENCES cards (card_id),
        version INTEGER NOT NULL,
        target TEXT NOT NULL,
        device_library_id TEXT,
        points_changed INTEGER NOT NULL DEFAULT 0,
        tier_changed INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before DOUBLE PRECISION,
        owner TEXT,
        lease_until DOUBLE PRECISION,
        PRIMARY KEY (card_id, version, target)
    );
    ALTER TABLE card_deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    """,
)
