-- Notify: the outbox and delivery log of e-mail and webhook notifications, and the webhook
-- endpoints organisations register. Timestamps are BIGINT microseconds since the epoch (UTC).

-- A webhook endpoint of an organisation. secret keys the HMAC-SHA256 signature of every body;
-- events is a space-separated list of event names, or '*' for all.
CREATE TABLE webhook_endpoints (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT '*',
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_organisation ON webhook_endpoints (organisation_id);

-- One notification: a row of the outbox while queued, then the log of its delivery.
-- recipient: e-mail addresses separated by ", ", or the webhook URL; payload: the rendered
-- message (possibly OpenPGP-encrypted) or the JSON body. object_type/object_id name the record it
-- is about (e.g. 'incident' and its public id). A 'sending' row whose next_attempt_at has passed
-- was left by a process that died mid-attempt, and is taken again.
CREATE TABLE notifications (
    id {{ID}},
    uuid TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient TEXT NOT NULL,
    envelope_from TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    endpoint_id BIGINT REFERENCES webhook_endpoints (id) ON DELETE SET NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_object ON notifications (object_type, object_id);
CREATE INDEX notifications_endpoint ON notifications (endpoint_id);
