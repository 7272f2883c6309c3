import EtimadKit
import Testing

@Suite("Employee identifiers")
struct EmployeeIDTests {
  @Test("one canonical form: trimmed, ASCII letters folded to lower case")
  func canonicalForm() throws {
    #expect(try EmployeeID.normalized("E1") == "e1")
    #expect(try EmployeeID.normalized(" E1\t") == "e1")
    #expect(try EmployeeID.normalized("Emp.One_2-x@MOF") == "emp.one_2-x@mof")
    #expect(try EmployeeID.normalized(String(repeating: "A", count: 64)) == String(repeating: "a", count: 64))
    #expect(EmployeeID.same("E1", " e1 "))
    #expect(!EmployeeID.same("e1", "e2"))
    #expect(!EmployeeID.same(nil, "e1"))
  }

  @Test("outside the alphabet or the length is refused, before any case mapping")
  func refusals() {
    #expect(throws: EmployeeID.Problem.empty) { try EmployeeID.normalized("") }
    #expect(throws: EmployeeID.Problem.empty) { try EmployeeID.normalized("  \t ") }
    #expect(throws: EmployeeID.Problem.tooLong) { try EmployeeID.normalized(String(repeating: "e", count: 65)) }
    #expect(throws: EmployeeID.Problem.badCharacters) { try EmployeeID.normalized("e 1") }
    #expect(throws: EmployeeID.Problem.badCharacters) { try EmployeeID.normalized("e1;x") }
    // The Kelvin sign folds to "k" in Unicode; it is not a letter of the alphabet.
    #expect(throws: EmployeeID.Problem.badCharacters) { try EmployeeID.normalized("\u{212A}1") }
    #expect(throws: EmployeeID.Problem.badCharacters) { try EmployeeID.normalized("موظف") }
  }
}
