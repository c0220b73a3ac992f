package sqlstore

import "strings"

// migrations are applied in order; each entry is one version. Never edit a released entry: add
// a new one. Type placeholders are replaced per dialect: {{BLOB}}, {{INT}}, {{SERIAL}}.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE folders (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	created_at   {{INT}} NOT NULL,
	sts_disabled {{INT}} NOT NULL DEFAULT 0
);
CREATE TABLE service_accounts (
	id           TEXT PRIMARY KEY,
	folder_id    TEXT NOT NULL REFERENCES folders(id),
	name         TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	created_at   {{INT}} NOT NULL,
	sts_disabled {{INT}} NOT NULL DEFAULT 0,
	UNIQUE (folder_id, name)
);
CREATE TABLE access_keys (
	id            TEXT PRIMARY KEY,
	sa_id         TEXT NOT NULL REFERENCES service_accounts(id),
	folder_id     TEXT NOT NULL,
	sealed_secret {{BLOB}} NOT NULL,
	status        TEXT NOT NULL,
	created_at    {{INT}} NOT NULL,
	status_at     {{INT}} NOT NULL,
	description   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_sa ON access_keys (sa_id);
CREATE TABLE role_bindings (
	scope_type TEXT NOT NULL,
	scope_id   TEXT NOT NULL,
	subject    TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_at {{INT}} NOT NULL,
	PRIMARY KEY (scope_type, scope_id, subject, role)
);
CREATE INDEX role_bindings_subject ON role_bindings (subject);
CREATE TABLE buckets (
	name       TEXT PRIMARY KEY,
	folder_id  TEXT NOT NULL REFERENCES folders(id),
	created_at {{INT}} NOT NULL
);
CREATE INDEX buckets_folder ON buckets (folder_id);
CREATE TABLE bucket_configs (
	bucket TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
	kind   TEXT NOT NULL,
	value  {{BLOB}} NOT NULL,
	PRIMARY KEY (bucket, kind)
);
CREATE TABLE object_meta (
	bucket     TEXT NOT NULL,
	object_key TEXT NOT NULL,
	kind       TEXT NOT NULL,
	generation TEXT NOT NULL,
	value      {{BLOB}} NOT NULL,
	PRIMARY KEY (bucket, object_key, kind)
);
CREATE TABLE token_keys (
	id          {{INT}} PRIMARY KEY,
	alg         TEXT NOT NULL,
	sealed      {{BLOB}} NOT NULL,
	created_at  {{INT}} NOT NULL,
	activate_at {{INT}} NOT NULL,
	retire_at   {{INT}} NOT NULL DEFAULT 0
);
CREATE TABLE policies (
	hash       TEXT PRIMARY KEY,
	document   {{BLOB}} NOT NULL,
	created_at {{INT}} NOT NULL,
	last_used  {{INT}} NOT NULL
);
CREATE TABLE revocations (
	id         {{SERIAL}},
	kind       TEXT NOT NULL,
	target     TEXT NOT NULL,
	before_at  {{INT}} NOT NULL,
	created_at {{INT}} NOT NULL,
	expires_at {{INT}} NOT NULL
);
CREATE TABLE changes (
	seq  {{SERIAL}},
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	at   {{INT}} NOT NULL
);
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value {{BLOB}} NOT NULL
);
`,
}

func expand(schema string, types map[string]string) string {
	for k, v := range types {
		schema = strings.ReplaceAll(schema, "{{"+k+"}}", v)
	}
	return schema
}
