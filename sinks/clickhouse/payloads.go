package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ErrPayloadNotFound means no stored body has that digest.
var ErrPayloadNotFound = errors.New("clickhouse: payload not found")

// PutPayload stores a body too large for workflow history, keyed by its
// SHA-256, before the workflow that references it starts. It is a direct,
// synchronous insert: ingress must not ack until the bytes are durable.
func (s *Store) PutPayload(ctx context.Context, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+".payloads (sha256, body, bytes, stored_at)")
	if err != nil {
		return "", fmt.Errorf("clickhouse: store payload: %w", err)
	}
	if err := b.Append(digest, string(body), uint64(len(body)), time.Now().UTC()); err != nil {
		_ = b.Abort()
		return "", fmt.Errorf("clickhouse: store payload: %w", err)
	}
	if err := b.Send(); err != nil {
		return "", fmt.Errorf("clickhouse: store payload: %w", err)
	}
	return digest, nil
}

// GetPayload returns the body stored under digest, checking its integrity.
func (s *Store) GetPayload(ctx context.Context, digest string) ([]byte, error) {
	var body string
	err := s.conn.QueryRow(ctx, "SELECT body FROM "+s.db+".payloads WHERE sha256 = ? LIMIT 1", digest).Scan(&body)
	if err != nil {
		if isNoRows(err) {
			return nil, ErrPayloadNotFound
		}
		return nil, fmt.Errorf("clickhouse: load payload: %w", err)
	}
	sum := sha256.Sum256([]byte(body))
	if hex.EncodeToString(sum[:]) != digest {
		return nil, fmt.Errorf("clickhouse: payload %s is corrupt", digest)
	}
	return []byte(body), nil
}

func isNoRows(err error) bool { return err != nil && err.Error() == "sql: no rows in result set" }
