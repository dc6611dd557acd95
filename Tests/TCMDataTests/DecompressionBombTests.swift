import CZlib
import Testing
@testable import TCMData

/// Issue 18, cause 1: a deflated `.npz` member whose `.npy` header declares a small array but
/// whose zip directory declares (truthfully, with a valid CRC) a large size is refused after its
/// header alone is inflated; neither size is trusted until both agree.
@Suite struct DecompressionBombTests {
    /// Raw deflate (as zip stores it) of `head` followed by `zeros` zero bytes, fed in 1 MiB
    /// pieces so the test never holds the inflated size; and the CRC-32 of the whole.
    static func deflated(head: [UInt8], zeros: Int) -> (bytes: [UInt8], crc: UInt32) {
        var stream = z_stream()
        precondition(
            deflateInit2_(
                &stream, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var out: [UInt8] = [], crc = crc32(0, nil, 0)
        let piece = [UInt8](repeating: 0, count: 1 << 20)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        func feed(_ input: [UInt8], finish: Bool) {
            input.withUnsafeBufferPointer { src in
                crc = crc32(crc, src.baseAddress, uInt(src.count))
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                stream.avail_in = uInt(src.count)
                repeat {
                    chunk.withUnsafeMutableBufferPointer { dst in
                        stream.next_out = dst.baseAddress
                        stream.avail_out = uInt(dst.count)
                        _ = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                        out += dst.prefix(dst.count - Int(stream.avail_out))
                    }
                } while stream.avail_out == 0
            }
        }
        feed(head, finish: false)
        var left = zeros
        while left > 0 {
            let n = min(left, piece.count)
            left -= n
            feed(Array(piece.prefix(n)), finish: left == 0)
        }
        if zeros == 0 { feed([], finish: true) }
        return (out, UInt32(crc))
    }

    static func member(_ name: String, head: [UInt8], zeros: Int) -> HandZipMember {
        let (bytes, crc) = deflated(head: head, zeros: zeros)
        return HandZipMember(
            name: name, content: bytes, method: 8, crc: crc, declaredSize: UInt32(head.count + zeros))
    }

    /// A 2 × 2 float32 `.npy` header (16 bytes of data follow it).
    static let smallHeader = Array(NpyWriter.bytes(floats: [0, 0, 0, 0], shape: [2, 2]).dropLast(16))

    @Test func aSmallHeaderWithALargeTrueSizeIsRefusedBeforeInflating() throws {
        // 256 MiB of zeros behind a header for 16 bytes: about 1 MB compressed, CRC valid.
        let bomb = Self.member("embeddings.npy", head: Self.smallHeader, zeros: 256 << 20)
        #expect(bomb.content.count < 4 << 20)
        let labels = HandZipMember(name: "labels.npy", content: NpyWriter.bytes(int64s: [0, 1], shape: [2]))
        let zip = handMadeZip([bomb, labels])
        expectDataError(
            file: "bomb.npz [embeddings.npy]",
            containing:
                "header implies \(Self.smallHeader.count + 16) bytes (shape [2, 2] of <f4), the zip directory declares \((256 << 20) + Self.smallHeader.count); refused before inflating"
        ) {
            _ = try EmbeddingLoader.load(bytes: zip, file: "bomb.npz")
        }
        // The same lie in the labels member.
        let labelBomb = Self.member(
            "labels.npy", head: Array(NpyWriter.bytes(int64s: [0, 1], shape: [2]).dropLast(16)), zeros: 1 << 20)
        let good = HandZipMember(
            name: "embeddings.npy", content: NpyWriter.bytes(floats: [1, 0, 0, 1], shape: [2, 2]))
        expectDataError(file: "bomb.npz [labels.npy]", containing: "refused before inflating") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([good, labelBomb]), file: "bomb.npz")
        }
    }

    @Test func aDirectorySmallerThanTheHeaderIsRefusedToo() throws {
        // The header promises 2 × 2 float32 (16 bytes); the member and its directory hold 8.
        let short = Self.member("embeddings.npy", head: Self.smallHeader, zeros: 8)
        expectDataError(
            file: "short.npz [embeddings.npy]", containing: "the zip directory declares \(Self.smallHeader.count + 8)"
        ) {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([short]), file: "short.npz")
        }
        // Agreeing sizes still read: the same construction with the right data length.
        let right = Self.member("embeddings.npy", head: Self.smallHeader, zeros: 16)
        let labels = HandZipMember(name: "labels.npy", content: NpyWriter.bytes(int64s: [0, 1], shape: [2]))
        let (m, l) = try EmbeddingLoader.load(bytes: handMadeZip([right, labels]), file: "ok.npz")
        #expect(m.rows == 2 && m.cols == 2 && l?.count == 2)
    }
}
