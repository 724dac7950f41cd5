package noetl

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

// Resource is a row of the resource table: a resource type name such as
// "playbook", which catalog entries refer to.
type Resource struct {
	Name string `json:"name"`
}

// ResourceQuery pages ResourceRepo.List, by name.
type ResourceQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// ResourceRepo stores resource types. It does not act for a profile.
type ResourceRepo interface {
	// Ensure adds the resource type name unless it exists, and returns it.
	// It is idempotent and safe to call concurrently.
	Ensure(ctx context.Context, name string) (Resource, error)
	// Get returns the resource type name, or ErrNotFound.
	Get(ctx context.Context, name string) (Resource, error)
	// List returns resource types ordered by name.
	List(ctx context.Context, q ResourceQuery) (Page[Resource], error)
	// Delete removes a resource type; one still used by a catalog entry is
	// ErrReferenced, an unknown one ErrNotFound.
	Delete(ctx context.Context, name string) error
}

// CatalogEntry is a row of the catalog table: one version of a resource at a
// path. Versions are MAJOR.MINOR.PATCH; the first is 0.1.0.
type CatalogEntry struct {
	ResourcePath     string          `json:"resource_path"`
	ResourceType     string          `json:"resource_type"`
	ResourceVersion  string          `json:"resource_version"`
	Source           string          `json:"source"`
	ResourceLocation *string         `json:"resource_location"`
	Content          *string         `json:"content"`
	Payload          json.RawMessage `json:"payload"`
	Meta             json.RawMessage `json:"meta"`
	Template         *string         `json:"template"`
	Timestamp        time.Time       `json:"timestamp"`
	CredentialID     *snowflake.ID   `json:"credential_id"`
}

// Catalog version rules.
const (
	// FirstVersion is the version of the first registration of a path.
	FirstVersion = "0.1.0"
	// LatestVersion, given as a version to CatalogRepo.Get, means the
	// highest version of the path.
	LatestVersion = "latest"
	// DefaultSource is the source of an entry registered without one.
	DefaultSource = "inline"
	// MaxPathLen is the longest resource path accepted, in characters.
	MaxPathLen = 1024
	// MaxVersionPart is the largest number one part of a version may hold.
	MaxVersionPart = 999_999_999
)

// Version is a parsed MAJOR.MINOR.PATCH catalog version. Versions compare
// numerically: 0.1.10 is after 0.1.9.
type Version struct {
	Major, Minor, Patch int
}

// ParseVersion parses "MAJOR.MINOR.PATCH": three decimal numbers without
// leading zeros (so each version has one spelling), each at most
// MaxVersionPart. Anything else is ErrInvalid.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	bad := func() (Version, error) {
		return Version{}, Invalidf("version %q: want MAJOR.MINOR.PATCH, three numbers without leading zeros, such as 0.1.0", s)
	}
	if len(parts) != 3 {
		return bad()
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 9 || (len(p) > 1 && p[0] == '0') || strings.TrimLeft(p, "0123456789") != "" {
			return bad()
		}
		n[i], _ = strconv.Atoi(p)
	}
	return Version{n[0], n[1], n[2]}, nil
}

// String returns "MAJOR.MINOR.PATCH".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare returns -1, 0 or +1 as v is before, equal to or after w.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// NextPatch returns the version after v: the same major and minor, patch+1.
func (v Version) NextPatch() Version { return Version{v.Major, v.Minor, v.Patch + 1} }

// ValidatePath checks a resource path: required, one line, valid UTF-8, at
// most MaxPathLen characters.
func ValidatePath(what, s string) error { return validateLine(what, s, MaxPathLen) }

// NewCatalogEntry is the input of CatalogRepo.Register.
type NewCatalogEntry struct {
	// Path is the resource path, such as "examples/weather". Required.
	Path string
	// Type is the resource type, such as "playbook"; it is created when
	// missing. Required.
	Type string
	// Version is optional: empty takes the next patch after the path's
	// highest version (FirstVersion for a new path), ErrConflict when that
	// patch would pass MaxVersionPart; an explicit MAJOR.MINOR.PATCH is
	// accepted once (ErrConflict when it exists).
	Version string
	// Source says where the entry came from; DefaultSource when empty.
	Source   string
	Location *string
	Content  *string
	// Payload is the parsed resource as JSON; `{}` when empty.
	Payload json.RawMessage
	// Meta is optional; when set it must be a JSON object.
	Meta     json.RawMessage
	Template *string
	// CredentialID is optional; when set the credential must exist
	// (ErrReferenced otherwise).
	CredentialID *snowflake.ID
}

// Validate checks the input; errors wrap ErrInvalid.
func (e NewCatalogEntry) Validate() error {
	if err := ValidatePath("resource path", e.Path); err != nil {
		return err
	}
	if err := ValidateName("resource type", e.Type); err != nil {
		return err
	}
	if e.Version != "" {
		if _, err := ParseVersion(e.Version); err != nil {
			return err
		}
	}
	if e.Source != "" {
		if err := ValidateName("catalog source", e.Source); err != nil {
			return err
		}
	}
	if err := ValidateJSON("catalog payload", e.Payload); err != nil {
		return err
	}
	if err := validateTexts(func() string { return "catalog" }, textField{"catalog location", e.Location}, textField{"catalog content", e.Content}, textField{"catalog template", e.Template}); err != nil {
		return err
	}
	if e.CredentialID != nil && *e.CredentialID == 0 {
		return Invalidf("catalog credential id: must not be zero (leave it nil for none)")
	}
	return ValidateJSONObject("catalog meta", e.Meta)
}

// CatalogQuery filters CatalogRepo.List. Entries are listed by path, then by
// version, oldest first.
type CatalogQuery struct {
	Type       string // only entries of this resource type, when set
	PathPrefix string // only paths starting with this, when set
	Limit      int    // page size: DefaultLimit when 0, capped at MaxLimit
	After      string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q CatalogQuery) Validate() error {
	if err := ValidateString("resource type", q.Type); err != nil {
		return err
	}
	if err := ValidateString("path prefix", q.PathPrefix); err != nil {
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// VersionQuery pages CatalogRepo.Versions, newest first.
type VersionQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// CatalogRepo stores versioned catalog entries. It does not act for a
// profile.
type CatalogRepo interface {
	// Register adds a version of in.Path (see NewCatalogEntry.Version) and
	// ensures its resource type. Concurrent registrations of one path never
	// fail and never take the same version. An unknown credential is
	// ErrReferenced.
	Register(ctx context.Context, in NewCatalogEntry) (CatalogEntry, error)
	// Get returns one version of path; version "" or LatestVersion means
	// the highest. A missing path or version is ErrNotFound; a malformed
	// version ErrInvalid.
	Get(ctx context.Context, path, version string) (CatalogEntry, error)
	// Versions returns the versions of path, newest (highest) first; an
	// unknown path gives an empty page.
	Versions(ctx context.Context, path string, q VersionQuery) (Page[CatalogEntry], error)
	// List returns entries matching q, by path then version (oldest first).
	List(ctx context.Context, q CatalogQuery) (Page[CatalogEntry], error)
	// Delete removes one version of path; an unknown one is ErrNotFound.
	Delete(ctx context.Context, path, version string) error
}

// Credential is a row of the credential table without its secret: the
// sealed data_encrypted column never leaves the store in this type.
type Credential struct {
	ID          snowflake.ID    `json:"id"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Meta        json.RawMessage `json:"meta"`
	Tags        []string        `json:"tags"`
	Description *string         `json:"description"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// NewCredential is the input of CredentialRepo.Put.
type NewCredential struct {
	// Name identifies the credential; Put replaces the one of that name.
	Name string
	// Type says what kind of credential it is ("postgres", "gcs", ...).
	Type string
	// Data is the secret, a JSON object, such as
	// {"user":"etl","password":"..."}. It is sealed with the store's
	// keyring before it is written and never printed (see Secret).
	Data Secret
	// Meta is optional; when set it must be a JSON object.
	Meta        json.RawMessage
	Tags        []string
	Description *string
}

// Validate checks the input; errors wrap ErrInvalid and never quote Data.
func (c NewCredential) Validate() error {
	if err := ValidateName("credential name", c.Name); err != nil {
		return err
	}
	if err := ValidateName("credential type", c.Type); err != nil {
		return err
	}
	if c.Data == "" {
		return Invalidf("credential %q: data is required", c.Name)
	}
	if ValidateJSONObject("credential data", json.RawMessage(c.Data.Reveal())) != nil {
		// The reason would quote part of the secret, so it is not given.
		return Invalidf("credential %s: data must be a JSON object that keeps the JSON contract (see the package doc)", Quote(c.Name))
	}
	for _, tag := range c.Tags {
		if err := ValidateName("credential tag", tag); err != nil {
			return err
		}
	}
	if err := ValidateText("credential description", c.Description); err != nil {
		return err
	}
	return ValidateJSONObject("credential meta", c.Meta)
}

// CredentialQuery filters CredentialRepo.List. Credentials are listed by
// name.
type CredentialQuery struct {
	Type  string // only credentials of this type, when set
	Tag   string // only credentials carrying this tag, when set
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q CredentialQuery) Validate() error {
	if err := ValidateString("credential type", q.Type); err != nil {
		return err
	}
	if err := ValidateString("credential tag", q.Tag); err != nil {
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// CredentialRepo stores credentials sealed at rest with AES-256-GCM under
// the store's keyring (storage.WithKeyring). The secret is sealed with the
// credential's name as additional data, so sealed data moved to another row
// does not open. Get and List return metadata only; Reveal is the one way to
// the secret. Without a keyring Put and Reveal are ErrNoKeyring (which wraps
// ErrInvalid). It does not act for a profile: the caller decides who may
// reveal.
type CredentialRepo interface {
	// Put seals in.Data and stores the credential, replacing the one of the
	// same name (which keeps its id and created_at).
	Put(ctx context.Context, in NewCredential) (Credential, error)
	// Get returns the credential with id, without its secret, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Credential, error)
	// GetByName returns the credential named name, without its secret, or
	// ErrNotFound.
	GetByName(ctx context.Context, name string) (Credential, error)
	// List returns credentials matching q, ordered by name, without secrets.
	List(ctx context.Context, q CredentialQuery) (Page[Credential], error)
	// Reveal opens and returns the secret of the credential named name.
	// Sealed data that was altered or moved from another row is
	// ErrTampered; data sealed under a key the keyring lacks is
	// ErrUnknownKey.
	Reveal(ctx context.Context, name string) (Secret, error)
	// Delete removes the credential named name; one a catalog entry still
	// uses is ErrReferenced, an unknown one ErrNotFound.
	Delete(ctx context.Context, name string) error
	// Rotate re-seals, in one transaction, every credential not sealed
	// under the keyring's primary key, under it, and returns how many it
	// re-sealed. If any fails to open, nothing changes and the error names
	// the credential.
	Rotate(ctx context.Context) (int, error)
}
