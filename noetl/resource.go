package noetl

import (
	"encoding/json"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

// Resource is a row of the resource table: a resource type name such as
// "playbook", which catalog entries refer to.
type Resource struct {
	Name string `json:"name"`
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

// ResourceRepo stores resource types.
type ResourceRepo interface{}

// CatalogRepo stores versioned catalog entries.
type CatalogRepo interface{}

// CredentialRepo stores credentials sealed at rest.
type CredentialRepo interface{}
