-- Vulnerabilities: CVE records and their enrichment (NVD, CISA KEV, EPSS).
-- `record` holds the record as parsed from its CVE 5 file (JSON, vulns/vuln_record.hpp); the
-- enrichment lives in its own tables so that it survives a re-import of the CVE record, and is
-- merged in on reading. The columns next to `record` are copies for filtering and sorting:
-- cvss/severity from the best metric of the merged record, epss and kev from the enrichment.
CREATE TABLE vulns (
    id {{ID}},
    cve_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    published BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL,
    cvss DOUBLE PRECISION,
    severity TEXT NOT NULL DEFAULT '',
    epss DOUBLE PRECISION,
    kev INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX vulns_published ON vulns (published, id);
CREATE INDEX vulns_updated ON vulns (updated, id);
CREATE INDEX vulns_cvss ON vulns (cvss, id);
CREATE INDEX vulns_severity ON vulns (severity);
CREATE INDEX vulns_epss ON vulns (epss, id);
CREATE INDEX vulns_kev ON vulns (kev);

-- Versions replaced by a newer dateUpdated (and older versions met later).
CREATE TABLE vuln_history (
    id {{ID}},
    cve_id TEXT NOT NULL,
    updated BIGINT NOT NULL,
    record TEXT NOT NULL,
    archived_at BIGINT NOT NULL,
    UNIQUE (cve_id, updated)
);

-- Products named by a record (CNA and ADP affected[], NVD vulnerable cpeMatch), lower case:
-- the matcher's candidate lookup. Rewritten with the record or its NVD enrichment.
CREATE TABLE vuln_products (
    cve_id TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    package_name TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL  -- cna, adp, nvd
);
CREATE INDEX vuln_products_cve ON vuln_products (cve_id);
CREATE INDEX vuln_products_product ON vuln_products (product, vendor);
CREATE INDEX vuln_products_package ON vuln_products (package_name);

-- NVD enrichment: a partial record (configurations, metrics, CWEs, KEV fields, SSVC) as JSON.
CREATE TABLE vuln_nvd (
    cve_id TEXT PRIMARY KEY,
    last_modified BIGINT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE vuln_kev (
    cve_id TEXT PRIMARY KEY,
    vendor_project TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    vulnerability_name TEXT NOT NULL DEFAULT '',
    date_added TEXT NOT NULL,
    due_date TEXT NOT NULL DEFAULT '',
    required_action TEXT NOT NULL DEFAULT '',
    known_ransomware INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE vuln_epss (
    cve_id TEXT PRIMARY KEY,
    epss DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION,
    model_version TEXT NOT NULL DEFAULT '',
    score_date TEXT NOT NULL DEFAULT ''
);

-- What an import could not use: the file (or zip entry), the record id or line, and why.
CREATE TABLE vuln_dead_letters (
    id {{ID}},
    source TEXT NOT NULL,
    item TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (source, item)
);
