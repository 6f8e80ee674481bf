/// The JSON API's description, OpenAPI 3.0, served at `/api/openapi.json` (a test checks it with
/// an OpenAPI validator and every answer of the server against its schemas).
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "pubmed-mirror",
        "version": "1",
        "description": "A local PubMed mirror: search in PubMed's query language, records in the formats reference managers read, and the change feed. NCBI's E-utilities are served beside it under /entrez/eutils/. When the server has a token, every path but /health and this document needs it: Authorization: Bearer TOKEN, or the api_key parameter."
      },
      "paths": {
        "/api/search": {
          "get": {
            "summary": "Search in PubMed's query language",
            "parameters": [
              {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 4096}, "description": "A query in PubMed's syntax: autism[tiab] AND 2020:2021[dp]"},
              {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["relevance", "pub_date", "first_author", "journal", "pmid", "recent"], "default": "relevance"}, "description": "recent: the most recently indexed first"},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 20}},
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0}}
            ],
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "200": {"description": "The count and a page of hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
              "400": {"description": "A query that cannot be read, or a bad parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "503": {"description": "The index cannot be read, or the query ran too long"}
            }
          }
        },
        "/api/export": {
          "get": {
            "summary": "The first 10,000 results of a search as one file to save",
            "parameters": [
              {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 4096}},
              {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["relevance", "pub_date", "first_author", "journal", "pmid", "recent"], "default": "relevance"}},
              {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["medline", "ris", "bibtex", "csl-json", "csv"], "default": "medline"}}
            ],
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "503": {"$ref": "#/components/responses/Busy"},
              "200": {"description": "The records, with Content-Disposition: attachment", "content": {
                "text/plain": {"schema": {"type": "string", "description": "medline, ris or bibtex"}},
                "text/csv": {"schema": {"type": "string", "description": "pmid, year, title, journal, authors, doi"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}, "description": "CSL-JSON"}}
              }},
              "400": {"description": "A query that cannot be read, or a bad parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/records/{pmid}": {
          "get": {
            "summary": "One record: the current version, or the version asked for",
            "parameters": [
              {"name": "pmid", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}},
              {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}},
              {"name": "format", "in": "query", "schema": {"$ref": "#/components/schemas/Format"}}
            ],
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "200": {"description": "The record", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Record"}},
                "text/xml": {"schema": {"type": "string", "description": "The record's XML exactly as NCBI published it"}},
                "text/plain": {"schema": {"type": "string", "description": "text, medline, ris or bibtex"}}
              }},
              "400": {"description": "A bad PMID, version or format", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "404": {"description": "The PMID (or that version of it) is not in the index", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/records": {
          "get": {
            "summary": "Several records, in the order asked",
            "parameters": [
              {"name": "ids", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+([ ,\\n]+[0-9]+)*$"}, "description": "PMIDs separated by commas (at most 10,000)"},
              {"name": "format", "in": "query", "schema": {"$ref": "#/components/schemas/Format"}}
            ],
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "503": {"$ref": "#/components/responses/Busy"},
              "200": {"description": "The records found, and the PMIDs not in the index", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Records"}},
                "text/xml": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}}
              }},
              "400": {"description": "A bad id list or format", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          },
          "post": {
            "summary": "Several records, the ids in a form-encoded body (ids=…&format=…)",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"ids": {"type": "string"}, "format": {"$ref": "#/components/schemas/Format"}}, "required": ["ids"]}}}},
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "503": {"$ref": "#/components/responses/Busy"},
              "413": {"description": "A request body over 1 MB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "200": {"description": "The records found, and the PMIDs not in the index", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Records"}}}},
              "400": {"description": "A bad id list or format", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/changes": {
          "get": {
            "summary": "The change feed: what changed after a change number, as JSON lines",
            "description": "One line per record now current (its JSON, as /api/records gives it) or deletion ({\"deleted\":true,\"pmid\":…,\"version\":…}), in the order of the changes, then {\"highWaterMark\":N}: the since of the next call. Without since, every current record in PMID order. Streamed as it is read.",
            "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}}],
            "responses": {
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "200": {"description": "JSON lines", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
              "400": {"description": "A bad change number", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "503": {"description": "As many feeds are running as the server runs at once beside its queries (its readers less one): try again later", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/status": {
          "get": {
            "summary": "What the index holds",
            "responses": {"401": {"$ref": "#/components/responses/Unauthorized"}, "200": {"description": "Counts and the last file applied", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
          }
        },
        "/health": {
          "get": {
            "summary": "Whether the server can read its index (no token needed)",
            "responses": {
              "200": {"description": "It can", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
              "503": {"description": "It cannot", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
            }
          }
        }
      },
      "components": {
        "responses": {
          "Unauthorized": {"description": "The server has a token and the request did not carry it", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Busy": {"description": "Two answers built whole in memory are being made already (server.busy): try again after Retry-After seconds", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Format": {"type": "string", "enum": ["json", "xml", "text", "medline", "ris", "bibtex", "csl-json"], "default": "json"},
          "Error": {
            "type": "object", "required": ["error"], "additionalProperties": false,
            "properties": {"error": {"type": "object", "required": ["code", "message"], "additionalProperties": false,
              "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
          },
          "Hit": {
            "type": "object", "required": ["pmid", "version", "year", "title", "journal"], "additionalProperties": false,
            "properties": {
              "pmid": {"type": "integer"}, "version": {"type": "integer"}, "year": {"type": "integer", "nullable": true},
              "title": {"type": "string"}, "journal": {"type": "string", "nullable": true}
            }
          },
          "SearchResult": {
            "type": "object", "required": ["query", "translation", "count", "offset", "limit", "sort", "notes", "results"], "additionalProperties": false,
            "properties": {
              "query": {"type": "string"}, "translation": {"type": "string", "description": "The query as it was understood, as PubMed's query translation"},
              "count": {"type": "integer", "minimum": 0}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
              "sort": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}},
              "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}
            }
          },
          "Record": {
            "type": "object", "required": ["pmid", "version", "title", "kind"],
            "description": "A record as pubmed-mirror show --format json prints it (README, \"Record JSON\")",
            "properties": {
              "pmid": {"type": "integer"}, "version": {"type": "integer"}, "kind": {"type": "string", "enum": ["article", "book"]},
              "title": {"type": "string"}, "abstract": {"type": "string"}, "doi": {"type": "string"}, "pmcid": {"type": "string"},
              "year": {"type": "integer"}, "authors": {"type": "array", "items": {"type": "object"}},
              "meshHeadings": {"type": "array", "items": {"type": "object"}}, "journal": {"type": "object"}
            }
          },
          "Records": {
            "type": "object", "required": ["records", "missing"], "additionalProperties": false,
            "properties": {
              "records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
              "missing": {"type": "array", "items": {"type": "integer"}}
            }
          },
          "Status": {
            "type": "object", "required": ["records", "versions", "files", "highWaterMark", "lastFile", "lastUpdate", "index"], "additionalProperties": false,
            "properties": {
              "records": {"type": "integer"}, "versions": {"type": "integer"}, "files": {"type": "integer"},
              "highWaterMark": {"type": "integer"}, "lastFile": {"type": "string", "nullable": true},
              "lastUpdate": {"type": "string", "format": "date-time", "nullable": true}, "index": {"type": "string"}
            }
          },
          "Health": {
            "type": "object", "required": ["status"], "additionalProperties": false,
            "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}, "records": {"type": "integer"}, "error": {"type": "string"}}
          }
        }
      }
    }
    """#
}
