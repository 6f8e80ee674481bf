/// The program's version, for `--version` and the User-Agent of every request.
public enum PubMedMirrorVersion {
    public static let current = "0.1.0"
}
