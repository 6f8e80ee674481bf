#!/usr/bin/env bash
# Follows a pubmed-mirror index incrementally: each run exports only what changed since the last
# run (records whose current version changed, and deletions), then remembers the new high-water mark.
#
#   Samples/pipeline/follow.sh MIRROR_DIR STATE_DIR
#
# It writes STATE_DIR/changes-since-<mark>.jsonl, splits it with jq into records.jsonl and
# deleted.txt, appends retracted-or-corrected PMIDs to STATE_DIR/corrections.tsv, and, if the duckdb command is installed, upserts the changes
# into STATE_DIR/pubmed.duckdb. The mark is saved only after everything succeeded, so a failed run
# is simply repeated next time.
set -euo pipefail
mirror=${1:?usage: follow.sh MIRROR_DIR STATE_DIR}
state=${2:?usage: follow.sh MIRROR_DIR STATE_DIR}
mkdir -p "$state"
since=$(cat "$state/mark" 2>/dev/null || echo 0)
out="$state/changes-since-$since.jsonl"

# The high-water mark is the last line on stderr: "… high-water mark: N".
mark=$(pubmed-mirror export --mirror "$mirror" --since "$since" --output "$out" 2>&1 | sed -n 's/.*high-water mark: \([0-9]*\).*/\1/p')
[[ -n $mark ]] || { echo "follow.sh: export failed" >&2; exit 1; }

# Split the changes: current records (a few columns) and deleted PMIDs.
jq -c 'select(.deleted != true) | {pmid, version, year, title, journal: .journal.isoAbbreviation, doi}' "$out" > "$state/records.jsonl"
jq -r 'select(.deleted == true) | .pmid' "$out" > "$state/deleted.txt"

# Records that a retraction or an erratum points at (CommentsCorrections), as PMID <tab> type <tab> source.
jq -r '.pmid as $pmid | select(.deleted != true) | .commentsCorrections[]?
       | select(.refType == "RetractionIn" or .refType == "ErratumIn") | [$pmid, .refType, .refSource] | @tsv' \
    "$out" >> "$state/corrections.tsv"

if command -v duckdb > /dev/null; then
    duckdb "$state/pubmed.duckdb" <<SQL
CREATE TABLE IF NOT EXISTS article (pmid BIGINT PRIMARY KEY, version INT, year INT, title VARCHAR, journal VARCHAR, doi VARCHAR);
CREATE TEMP TABLE change AS SELECT * FROM read_json('$state/records.jsonl', format = 'newline_delimited',
    columns = {pmid: 'BIGINT', version: 'INT', year: 'INT', title: 'VARCHAR', journal: 'VARCHAR', doi: 'VARCHAR'});
CREATE TEMP TABLE gone AS SELECT column0::BIGINT AS pmid FROM read_csv('$state/deleted.txt', header = false, columns = {column0: 'VARCHAR'});
DELETE FROM article WHERE pmid IN (SELECT pmid FROM change) OR pmid IN (SELECT pmid FROM gone);
INSERT INTO article SELECT * FROM change;
SQL
fi
echo "$mark" > "$state/mark.tmp" && mv "$state/mark.tmp" "$state/mark"
echo "follow.sh: $(wc -l < "$out") changes since $since; new mark $mark"
