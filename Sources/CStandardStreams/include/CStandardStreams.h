#ifndef PUBMED_MIRROR_CSTANDARDSTREAMS_H
#define PUBMED_MIRROR_CSTANDARDSTREAMS_H
// Makes the standard streams safe before anything else runs (a constructor, see the .c file), and
// tells which of them were closed when the process started.

/// A bit per standard stream (1 stdin, 2 stdout, 4 stderr) that was closed at start and now holds
/// /dev/null in its place.
int cstandardstreams_closed_at_start(void);

#endif
