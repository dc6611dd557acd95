import Foundation
import Testing
@testable import TCMData

/// Files written by numpy's own `format.write_array` (see Fixtures/make_fixtures.py).
@Suite struct NumpyFixtureTests {
    static let directory = packageRoot + "/Tests/TCMDataTests/Fixtures/"

    struct Expected: Decodable {
        let shape: [Int]
        let values: [String]
    }

    static func expected() throws -> [String: Expected] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "expected.json"))
        return try JSONDecoder().decode([String: Expected].self, from: data)
    }

    @Test(arguments: ["f4_v1_c.npy", "f8_be_v2.npy", "f2_fortran_v3.npy", "i2_be_fortran.npy", "u8_labels.npy"])
    func numericFixture(name: String) throws {
        let expected = try #require(try Self.expected()[name])
        let array = try NpyArray(bytes: FileBytes.read(Self.directory + name), file: name)
        #expect(array.shape == expected.shape)
        #expect(array.doubles() == expected.values.map { Double($0)! })
    }

    @Test func unicodeFixture() throws {
        let expected = try #require(try Self.expected()["unicode_labels.npy"])
        let array = try NpyArray(bytes: FileBytes.read(Self.directory + "unicode_labels.npy"), file: "u")
        #expect(array.strings() == expected.values)
        let labels = try LabelLoader.load(Self.directory + "unicode_labels.npy")
        #expect(labels.classNames == ["cat", "dög", "🐶"])
    }
}
