package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/core"
	pw "github.com/jwtgate/jwtgate/examples/proxy-wasm/internal/proxywasm"
)

// sharedReplay is the core.ReplayStore of the filter: used one-time token
// IDs in the host's shared data, which every worker VM of the vm_id sees.
//
// IDs are spread over a fixed number of bucket keys
// ("<prefix>:replay:<n>"). A claim reads its bucket, refuses an ID still
// recorded there, and writes the bucket back with the ID added using the
// cas it read: of two VMs claiming the same ID at once, one write fails
// with CAS_MISMATCH, and that VM reads again and finds the ID. Buckets are
// created when the plugin starts, before the VM serves a request, because
// the ABI creates a missing key whatever cas is given (it has no
// create-if-absent); claims are only ever compare-and-swapped into a
// bucket that exists, and buckets are never deleted (expired IDs are
// dropped when their bucket is next written).
type sharedReplay struct {
	prefix  string
	buckets int
	max     int
}

// A bucket is a version byte, then 28-byte entries: 16 bytes of the ID's
// SHA-256, then its expiry as Unix seconds (8 bytes) and nanoseconds (4).
const (
	bucketVersion = 1
	entrySize     = 28
)

func (r *sharedReplay) key(i int) string { return fmt.Sprintf("%s:replay:%d", r.prefix, i) }

// create makes the buckets that do not exist yet.
func (r *sharedReplay) create() {
	for i := range r.buckets {
		if _, _, err := pw.GetSharedData(r.key(i)); errors.Is(err, pw.ErrorStatusNotFound) {
			pw.SetSharedData(r.key(i), []byte{bucketVersion}, 0)
		}
	}
}

// Claim implements core.ReplayStore with MemoryReplayStore's semantics: an
// ID is used while now is before its recorded expiry.
func (r *sharedReplay) Claim(_ context.Context, id string, expiry, now time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(id))
	key := r.key(int(binary.BigEndian.Uint32(sum[:4]) % uint32(r.buckets)))
	for range 64 {
		data, cas, err := pw.GetSharedData(key)
		if errors.Is(err, pw.ErrorStatusNotFound) {
			// Only if the host lost the bucket since the plugin started.
			pw.SetSharedData(key, []byte{bucketVersion}, 0)
			continue
		}
		if err != nil {
			return false, fmt.Errorf("reading shared data: %v", err)
		}
		if len(data) == 0 || data[0] != bucketVersion || (len(data)-1)%entrySize != 0 {
			return false, fmt.Errorf("shared data %s is not a replay bucket", key)
		}
		next := make([]byte, 1, len(data)+entrySize)
		next[0] = bucketVersion
		for off := 1; off < len(data); off += entrySize {
			e := data[off : off+entrySize]
			until := time.Unix(int64(binary.LittleEndian.Uint64(e[16:])), int64(binary.LittleEndian.Uint32(e[24:])))
			if !now.Before(until) {
				continue // expired: dropped
			}
			if string(e[:16]) == string(sum[:16]) {
				return false, nil
			}
			next = append(next, e...)
		}
		if (len(next)-1)/entrySize >= r.max {
			return false, core.ErrReplayStoreFull
		}
		var e [entrySize]byte
		copy(e[:], sum[:16])
		binary.LittleEndian.PutUint64(e[16:], uint64(expiry.Unix()))
		binary.LittleEndian.PutUint32(e[24:], uint32(expiry.Nanosecond()))
		next = append(next, e[:]...)
		err = pw.SetSharedData(key, next, cas)
		if errors.Is(err, pw.ErrorStatusCasMismatch) {
			continue // another VM wrote the bucket: read it again
		}
		if err != nil {
			return false, fmt.Errorf("writing shared data: %v", err)
		}
		return true, nil
	}
	return false, errors.New("shared data is too contended")
}
