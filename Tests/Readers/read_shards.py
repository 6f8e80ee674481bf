"""Reads a shard set of `pubmed-mirror export --shards` with DuckDB, as a data engineer would, and
prints what it found as one JSON object, for Tests/PubMedMirrorTests/Shards to compare with `export`.

    read_shards.py SHARD_DIR EXPORT_JSONL PARQUET_DIR

- count: rows DuckDB reads from the parts (read_json, every column, the schema from all rows)
- pmids: their PMIDs in the parts' order; deletions: rows with "deleted": true
- fields: for each PMID of the export, title, year, journal title and first author's last name as
  DuckDB reads them, next to the same fields from the export's own JSON (`expected`)
- parquet: rows in the Parquet files written from the shards, partitioned by year, read back
"""
import glob
import json
import os
import sys

import duckdb


def main(shards, export_path, parquet):
    parts = os.path.join(shards, "*.ndjson.gz")
    source = f"read_json('{parts}', format='newline_delimited', union_by_name=true, sample_size=-1)"
    db = duckdb.connect()
    count = db.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    columns = [row[0] for row in db.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    pmids = [row[0] for row in db.execute(f"SELECT pmid FROM {source}").fetchall()]
    deletions = 0
    if "deleted" in columns:
        deletions = db.execute(f"SELECT count(*) FROM {source} WHERE deleted").fetchone()[0]
    read = {}
    if "title" in columns:
        query = f"""SELECT pmid, title, year, journal.title, authors[1].lastName FROM {source} WHERE title IS NOT NULL"""
        for pmid, title, year, journal, author in db.execute(query).fetchall():
            read[str(pmid)] = [title, year, journal, author]
    expected = {}
    with open(export_path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("deleted"):
                continue
            authors = record.get("authors") or [{}]
            expected[str(record["pmid"])] = [record.get("title"), record.get("year"), (record.get("journal") or {}).get("title"),
                                             authors[0].get("lastName")]
    written = 0
    if "year" in columns:
        db.execute(f"COPY (SELECT pmid, version, year, title FROM {source} WHERE year IS NOT NULL) "
                   f"TO '{parquet}' (FORMAT PARQUET, PARTITION_BY (year), OVERWRITE_OR_IGNORE)")
        written = db.execute(f"SELECT count(*) FROM read_parquet('{parquet}/*/*.parquet', hive_partitioning=true)").fetchone()[0]
    print(json.dumps({"count": count, "pmids": pmids, "deletions": deletions, "fields": read, "expected": expected,
                      "parquet": written, "parquetFolders": len(glob.glob(os.path.join(parquet, "year=*")))}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
