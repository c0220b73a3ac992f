-- Schema version 1 of the fs backend index (PRAGMA user_version = 1).
-- Keys are BLOBs so that ordering is the byte order of their UTF-8 encoding,
-- as in S3 listings. Times are Unix nanoseconds. Blob IDs are 16 random bytes;
-- a file blob lives at blobs/<hex[0:2]>/<hex[2:4]>/<hex>.

CREATE TABLE buckets (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	created INTEGER NOT NULL
);

-- One row per visible object. storage: 0 = one file blob (blob), 1 = inline
-- bytes (ref = small_blobs.rowid), 2 = multipart manifest (ref = manifests.rowid).
CREATE TABLE objects (
	bucket        INTEGER NOT NULL,
	key           BLOB NOT NULL,
	size          INTEGER NOT NULL,
	etag          TEXT NOT NULL,
	mtime         INTEGER NOT NULL,
	generation    TEXT NOT NULL,
	parts         INTEGER NOT NULL,
	storage       INTEGER NOT NULL,
	blob          BLOB,
	ref           INTEGER,
	checksum_type TEXT NOT NULL,
	checksums     TEXT NOT NULL,
	meta          TEXT NOT NULL,
	PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE small_blobs (
	data BLOB NOT NULL
);

-- data: per segment, 16-byte blob ID then uvarint size, in part order.
CREATE TABLE manifests (
	data BLOB NOT NULL
);

-- Every file blob referenced by an object or a part. Orphan collection deletes
-- only files absent from here.
CREATE TABLE blob_refs (
	id BLOB PRIMARY KEY
) WITHOUT ROWID;

-- Upload IDs start with the hex initiation time, so (key, id) order is
-- initiation order within a key, as ListMultipartUploads wants.
CREATE TABLE uploads (
	id                 TEXT PRIMARY KEY,
	bucket             INTEGER NOT NULL,
	key                BLOB NOT NULL,
	created            INTEGER NOT NULL,
	checksum_algorithm TEXT NOT NULL,
	checksum_type      TEXT NOT NULL,
	meta               TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_key ON uploads (bucket, key, id);

CREATE TABLE parts (
	upload    TEXT NOT NULL,
	number    INTEGER NOT NULL,
	blob      BLOB NOT NULL,
	size      INTEGER NOT NULL,
	etag      TEXT NOT NULL,
	mtime     INTEGER NOT NULL,
	checksums TEXT NOT NULL,
	PRIMARY KEY (upload, number)
) WITHOUT ROWID;
