-- Users, the data they own ("orders"), and the exports they asked for.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    placed_on    TEXT    NOT NULL,
    item         TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    quantity     INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL
);

CREATE INDEX orders_by_user ON orders (user_id, id);

CREATE TABLE exports (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    status     TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'emailed', 'failed')),
    rows       INTEGER NOT NULL DEFAULT 0,
    mail_file  TEXT,
    error      TEXT,
    created_at TEXT    NOT NULL DEFAULT (datetime('now'))
);
