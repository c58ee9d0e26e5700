// Command trivydb builds a trivy vulnerability DB offline from YAML advisories.
//
// trivy's DB cannot be downloaded here, so stackcheck builds one the way trivy's own integration tests do:
// bolt-fixtures loads YAML buckets (e.g. `debian 13` -> source package -> advisory id -> FixedVersion, and a
// `vulnerability` bucket with the details) into <cache-dir>/db/trivy.db, and trivy-db's metadata package
// writes <cache-dir>/db/metadata.json with the schema version trivy expects. The result is a trivy cache
// folder: `trivy image --cache-dir <cache-dir> --skip-db-update ...` scans against it offline.
//
// Usage:
//
//	trivydb --fixtures DIR|FILE [--fixtures ...] --cache-dir OUT [--force]
//
// The build is idempotent: a digest of the fixtures (names and contents) is kept next to the DB, and an
// unchanged set returns at once. A new DB is written to a temporary file and renamed into place, so a
// reader never sees half a DB and advisories removed from the fixtures do not linger.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	bolt "go.etcd.io/bbolt"
)

// digestFile sits next to trivy.db and names the fixtures it was built from.
const digestFile = "stackcheck-fixtures.sha256"

// builderVersion is part of the digest: a change in how the DB is built invalidates old builds.
const builderVersion = "trivydb/1"

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "trivydb: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("trivydb", flag.ContinueOnError)
	var sources multiFlag
	fs.Var(&sources, "fixtures", "folder of *.yaml advisories, or one YAML file (repeatable)")
	cacheDir := fs.String("cache-dir", "", "trivy cache folder to write (the DB goes to <cache-dir>/db/)")
	force := fs.Bool("force", false, "rebuild even when the fixtures are unchanged")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(sources) == 0 || *cacheDir == "" {
		return errors.New("usage: trivydb --fixtures DIR|FILE [--fixtures ...] --cache-dir OUT [--force]")
	}
	files, err := fixtureFiles(sources)
	if err != nil {
		return err
	}
	digest, err := digestOf(files)
	if err != nil {
		return err
	}
	dbDir := filepath.Join(*cacheDir, "db")
	dbPath := trivydb.Path(dbDir)
	if !*force && upToDate(dbDir, digest) {
		fmt.Printf("%s is up to date (%d fixture files)\n", dbPath, len(files))
		return nil
	}
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dbPath, os.Getpid())
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	if err := load(tmp, files); err != nil {
		return err
	}
	summary, err := summarize(tmp)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return err
	}
	now := time.Now().UTC()
	meta := metadata.Metadata{
		Version: trivydb.SchemaVersion,
		// Far in the future: even without --skip-db-update trivy then never tries to download a newer DB.
		NextUpdate:   now.AddDate(10, 0, 0),
		UpdatedAt:    now,
		DownloadedAt: now,
	}
	if err := metadata.NewClient(dbDir).Update(meta); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dbDir, digestFile), []byte(digest+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("built %s (schema %d) from %d fixture files: %s\n", dbPath, trivydb.SchemaVersion, len(files), summary)
	return nil
}

// fixtureFiles expands folders to their *.yaml/*.yml files, sorted, so the digest is stable.
func fixtureFiles(sources []string) ([]string, error) {
	var files []string
	for _, src := range sources {
		info, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("--fixtures %s: %w", src, err)
		}
		if !info.IsDir() {
			files = append(files, src)
			continue
		}
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			matches, err := filepath.Glob(filepath.Join(src, pattern))
			if err != nil {
				return nil, err
			}
			found = append(found, matches...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("--fixtures %s: no *.yaml files in this folder", src)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

func digestOf(files []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s schema=%d\n", builderVersion, trivydb.SchemaVersion)
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(body))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func upToDate(dbDir, digest string) bool {
	for _, name := range []string{trivydb.Path(dbDir), metadata.Path(dbDir)} {
		if _, err := os.Stat(name); err != nil {
			return false
		}
	}
	old, err := os.ReadFile(filepath.Join(dbDir, digestFile))
	return err == nil && strings.TrimSpace(string(old)) == digest
}

// load runs bolt-fixtures exactly as trivy's internal/dbtest.InitDB does.
func load(dbPath string, files []string) error {
	loader, err := fixtures.New(dbPath, files)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	if err := loader.Load(); err != nil {
		_ = loader.Close()
		return fmt.Errorf("load fixtures: %w", err)
	}
	return loader.Close()
}

// summarize counts what was loaded: advisories per platform bucket and vulnerability details.
func summarize(dbPath string) (string, error) {
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return "", err
	}
	defer db.Close()
	var parts []string
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			n := 0
			_ = b.ForEach(func(k, v []byte) error {
				if v == nil { // a nested bucket: one package, its keys are advisories
					n += b.Bucket(k).Stats().KeyN
				} else {
					n++
				}
				return nil
			})
			parts = append(parts, fmt.Sprintf("%s=%d", name, n))
			return nil
		})
	})
	return strings.Join(parts, ", "), err
}
