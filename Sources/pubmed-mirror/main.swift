import CStandardStreams
import PubMedMirrorCLI

// `serve` is another executable (`pubmed-mirror-serve`): become it now, while this process has one thread.
ServeSettings.execServerIfAsked()

// What the C constructor found before the program started: a standard output that was closed has
// /dev/null (read-only) in its place, and the message for a failed write says so.
ResultWriter.standardOutputWasClosed = cstandardstreams_closed_at_start() & 2 != 0
await PubMedMirrorCommand.runAndExit()
