/// The `logs` table (docs/clickhouse.md): one row per entry, partitioned by day, ordered for the usual
/// queries (one service, a level, a time range).
///
/// Works on Debian's ClickHouse 18.16 (no DateTime64: milliseconds in `timestamp_ms`; LowCardinality only
/// experimental there, so plain `String`) and on current releases (`LowCardinality(String)` for the
/// low-cardinality context columns, chosen from `SELECT version()`).
public enum ClickHouseSchema {
    /// The columns in row order, with their types (`lowCardinality`: the server supports it for real).
    public static func columns(lowCardinality: Bool) -> [(name: String, type: String)] {
        let tag = lowCardinality ? "LowCardinality(String)" : "String"
        return [
            ("timestamp", "DateTime('UTC')"),
            ("timestamp_ms", "UInt16"),
            ("level", "Enum8('DEBUG' = 1, 'INFO' = 2, 'WARN' = 3, 'ERROR' = 4, 'FATAL' = 5)"),
            ("message", "String"),
            ("service", tag),
            ("version", tag),
            ("environment", tag),
            ("host", tag),
            ("user_id", "String"),
            ("session_id", "String"),
            ("request_id", "String"),
            ("metadata", "String"),
            ("stack", "String"),
        ]
    }

    /// `CREATE TABLE IF NOT EXISTS` for `database.table` with the given engine.
    public static func createTable(_ qualified: String, lowCardinality: Bool, engine: String = "MergeTree") -> String {
        let cols = columns(lowCardinality: lowCardinality).map { "    \($0.name) \($0.type)" }.joined(separator: ",\n")
        return """
        CREATE TABLE IF NOT EXISTS \(qualified)
        (
        \(cols)
        )
        ENGINE = \(engine)
        PARTITION BY toYYYYMMDD(timestamp)
        ORDER BY (service, level, timestamp)
        """
    }

    /// True when the server's `version()` (e.g. `18.16.1`, `24.3.2.23`) has LowCardinality out of
    /// experimental status (19.x made it usable; 20.1 and later have it on by default).
    public static func supportsLowCardinality(version: String) -> Bool {
        guard let major = Int(version.split(separator: ".").first ?? "") else { return false }
        return major >= 20
    }
}
