/// A fixed-capacity map that evicts its least recently used entry: O(1) lookup, touch and insert.
///
/// Entries live in flat arrays linked by index (most recent at `head`), so a hit moves no memory and allocates
/// nothing. Bounds per-peer state: a flood of spoofed sender addresses costs evictions, never unbounded memory.
struct LRUCache<Key: Hashable, Value> {
    let capacity: Int
    private var index: [Key: Int] = [:]
    private var keys: [Key] = []
    private var slots: [Value] = []
    private var prev: [Int] = []
    private var next: [Int] = []
    private var head = -1
    private var tail = -1

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        index.reserveCapacity(self.capacity)
    }

    var count: Int { keys.count }

    /// Every value, most recently used first.
    var values: [Value] {
        var out: [Value] = []
        out.reserveCapacity(keys.count)
        var i = head
        while i >= 0 { out.append(slots[i]); i = next[i] }
        return out
    }

    /// The value for `key`, which becomes the most recently used.
    mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return slots[i]
    }

    /// Adds `key` (not present) as the most recently used; when full, the least recently used entry makes room
    /// and is returned.
    @discardableResult
    mutating func insert(_ key: Key, _ value: Value) -> (key: Key, value: Value)? {
        if keys.count < capacity {
            let i = keys.count
            keys.append(key)
            slots.append(value)
            prev.append(-1)
            next.append(-1)
            index[key] = i
            link(i)
            return nil
        }
        let i = tail
        let evicted = (keys[i], slots[i])
        index[keys[i]] = nil
        keys[i] = key
        slots[i] = value
        index[key] = i
        moveToFront(i)
        return evicted
    }

    private mutating func moveToFront(_ i: Int) {
        guard i != head else { return }
        unlink(i)
        link(i)
    }

    private mutating func unlink(_ i: Int) {
        if prev[i] >= 0 { next[prev[i]] = next[i] } else { head = next[i] }
        if next[i] >= 0 { prev[next[i]] = prev[i] } else { tail = prev[i] }
        prev[i] = -1
        next[i] = -1
    }

    private mutating func link(_ i: Int) {
        next[i] = head
        prev[i] = -1
        if head >= 0 { prev[head] = i }
        head = i
        if tail < 0 { tail = i }
    }
}
