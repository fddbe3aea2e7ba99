import Pipeline

/// stdin (or any stream) as a topology ``Source``: no positions (a pipe cannot be re-read).
extension StreamSource: Source {
    public var name: String { origin.name }
}
