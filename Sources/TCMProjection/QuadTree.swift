/// A Barnes–Hut quadtree over 2-D points, rebuilt every t-SNE iteration. Nodes live in flat
/// arrays (no per-node objects), children of a node are four consecutive slots.
struct QuadTree {
    var centreX: [Double] = []  // cell centre
    var centreY: [Double] = []
    var halfWidth: [Double] = []
    var massX: [Double] = []  // sum of member coordinates (centre of mass = mass / count)
    var massY: [Double] = []
    var count: [Int32] = []
    var firstChild: [Int32] = []  // -1 for a leaf
    var point: [Int32] = []  // the single member of a leaf holding one point, else -1

    static let maxDepth = 40

    init(x: [Double], y: [Double]) {
        let n = x.count
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0 ..< n {
            minX = min(minX, x[i])
            maxX = max(maxX, x[i])
            minY = min(minY, y[i])
            maxY = max(maxY, y[i])
        }
        let half = max(maxX - minX, maxY - minY) / 2 * (1 + 1e-9) + 1e-12
        reserve(4 * n + 8)
        addNode(cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, half: half)
        for i in 0 ..< n { insert(Int32(i), x[i], y[i], x: x, y: y) }
    }

    private mutating func reserve(_ n: Int) {
        centreX.reserveCapacity(n)
        centreY.reserveCapacity(n)
        halfWidth.reserveCapacity(n)
        massX.reserveCapacity(n)
        massY.reserveCapacity(n)
        count.reserveCapacity(n)
        firstChild.reserveCapacity(n)
        point.reserveCapacity(n)
    }

    private mutating func addNode(cx: Double, cy: Double, half: Double) {
        centreX.append(cx)
        centreY.append(cy)
        halfWidth.append(half)
        massX.append(0)
        massY.append(0)
        count.append(0)
        firstChild.append(-1)
        point.append(-1)
    }

    private func quadrant(_ node: Int, _ px: Double, _ py: Double) -> Int {
        (px >= centreX[node] ? 1 : 0) + (py >= centreY[node] ? 2 : 0)
    }

    private mutating func split(_ node: Int) {
        let first = centreX.count
        let h = halfWidth[node] / 2
        for q in 0 ..< 4 {
            addNode(cx: centreX[node] + (q & 1 == 1 ? h : -h), cy: centreY[node] + (q & 2 == 2 ? h : -h), half: h)
        }
        firstChild[node] = Int32(first)
    }

    private mutating func insert(_ i: Int32, _ px: Double, _ py: Double, x: [Double], y: [Double]) {
        var node = 0, depth = 0
        while true {
            massX[node] += px
            massY[node] += py
            count[node] += 1
            if firstChild[node] < 0 {
                if count[node] == 1 {
                    point[node] = i
                    return
                }
                // A leaf that already holds points: split it, unless they coincide or we are deep.
                let existing = point[node]
                if depth >= QuadTree.maxDepth || existing < 0 {
                    point[node] = -1
                    return
                }
                let ex = x[Int(existing)], ey = y[Int(existing)]
                if ex == px && ey == py {
                    point[node] = -1
                    return
                }
                split(node)
                point[node] = -1
                let child = Int(firstChild[node]) + quadrant(node, ex, ey)
                massX[child] += ex
                massY[child] += ey
                count[child] = 1
                point[child] = existing
            }
            node = Int(firstChild[node]) + quadrant(node, px, py)
            depth += 1
        }
    }

    /// What a traversal reads of a node, packed together (one cache line) with the centre of
    /// mass already divided out: measured, the traversal is ~70 % of t-SNE's time.
    /// Single precision, as scikit-learn's tree: halves the bytes each visit reads.
    struct Summary {
        var x: Float
        var y: Float
        var widthSquared: Float
        var count: Int32
        var firstChild: Int32
        var point: Int32
    }

    func summaries() -> [Summary] {
        (0 ..< count.count).map { n in
            let c = max(Double(count[n]), 1)
            return Summary(
                x: Float(massX[n] / c), y: Float(massY[n] / c), widthSquared: Float(4 * halfWidth[n] * halfWidth[n]),
                count: count[n], firstChild: firstChild[n], point: point[n])
        }
    }

    /// Repulsive terms for point i: Σ_j w_ij² (y_i − y_j) and Σ_j w_ij, w = 1/(1 + d²),
    /// summarising a cell by its centre of mass when width/distance < θ.
    static func repulsion(
        of i: Int, px: Float, py: Float, thetaSquared: Float,
        nodes: UnsafeBufferPointer<Summary>, stack: UnsafeMutablePointer<Int32>
    ) -> (fx: Double, fy: Double, z: Double) {
        var fx: Float = 0, fy: Float = 0, z: Float = 0
        var top = 1
        stack[0] = 0
        let me = Int32(i)
        while top > 0 {
            top -= 1
            let node = nodes[Int(stack[top])]
            if node.count == 0 || (node.count == 1 && node.point == me) { continue }
            let dx = px - node.x, dy = py - node.y
            let d2 = dx * dx + dy * dy
            if node.firstChild < 0 || node.widthSquared < thetaSquared * d2 {
                var members = Float(node.count)
                // A coincident-points leaf that contains i: i does not repel itself.
                if node.firstChild < 0 && node.count > 1 && d2 == 0 { members -= 1 }
                let w = 1 / (1 + d2)
                z += members * w
                let ww = members * w * w
                fx += ww * dx
                fy += ww * dy
            } else {
                // Push only non-empty children (about half of them are empty).
                let f = node.firstChild
                for child in f ..< f + 4 where nodes[Int(child)].count > 0 {
                    stack[top] = child
                    top += 1
                }
            }
        }
        return (Double(fx), Double(fy), Double(z))
    }
}
