import ArgumentParser
import PubMedMirror

@main
struct PubMedMirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubmed-mirror",
        abstract: "Keep a complete, verified local copy of NCBI's PubMed baseline and update files.",
        discussion: """
            The mirror folder keeps NCBI's layout (baseline/, updatefiles/, each file beside its .md5) next to \
            a state database (state.sqlite). Every file is checked against its exact size and published MD5 \
            before it is put in place. See the README for exit codes and the environment variables.
            """,
        version: PubMedMirrorVersion.current,
        subcommands: [Fetch.self, Index.self, Search.self, Show.self, Export.self, Status.self, Verify.self, Health.self]
    )
}
