import Foundation
import Testing
@testable import HRIAKit

// The top-level scanner has a fast path for the exact form hria writes. Whatever the line, it must read the same
// members as the general reader, or decline and leave the line to it.

private func bothReadings(_ line: [UInt8]) -> (fast: TopLevelLine?, general: TopLevelLine?) {
    line.withUnsafeBufferPointer { (TopLevelLine.scan($0), TopLevelLine.scanAnyForm($0)) }
}

private let exampleLines: [[UInt8]] = {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let bytes = (try? Data(contentsOf: repository.appendingPathComponent("assessments/un75-platform/log.jsonl"))) ?? Data()
    return LogLine.split(Array(bytes)).lines.map(Array.init)
}()

@Suite("Line scanner")
struct LineScannerTests {
    @Test("every line of the worked example is read alike by the fast path and the general reader")
    func exampleLinesAgree() throws {
        #expect(exampleLines.count > 40)
        for (index, line) in exampleLines.enumerated() {
            let (fast, general) = bothReadings(line)
            #expect(fast != nil, "event \(index) is hria's own form")
            #expect(fast == general, "event \(index)")
            #expect(fast?.seq == index)
        }
    }

    @Test("forms hria does not write are read by the general reader, with the same result",
          arguments: [
              #"{"_sd":[],"actor":"ana","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{ "_sd":[],"actor":"ana","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"actor":"ana","_sd":[],"data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":[],"actor":"a\"na","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":[],"actor":"ana","data":{"a":"}\"]"},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":["d1","d2"],"actor":"ana","data":{"x":[1,{"y":"]"}]},"prev":"00","seq":12,"sig":"c2ln","stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":[],"actor":"ana","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1} "#,
              #"{"_sd":[],"actor":"ana","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}}"#,
              #"{"_sd":[],"actor":"ana","data":{},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1,"extra":true}"#,
              #"{"_sd":[],"actor":"ana","data":{,"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":[],"actor":"ana","data":{},"prev":"00","seq":-1,"stage":"s","time":"t","type":"x","v":1}"#,
              #"{"_sd":[],"actor":"ana","data":"text","prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
              "{\"_sd\":[],\"actor\":\"a\u{01}na\",\"data\":{},\"prev\":\"00\",\"seq\":1,\"stage\":\"s\",\"time\":\"t\",\"type\":\"x\",\"v\":1}",
              #"{"_sd":[],"actor":"ana","data":{"long":"0123456789abcdef0123456789abcdef\\\"0123456789abcdef"},"prev":"00","seq":1,"stage":"s","time":"t","type":"x","v":1}"#,
          ])
    func otherForms(_ text: String) {
        let (fast, general) = bothReadings(Array(text.utf8))
        #expect(fast == general, "\(text)")
    }

    @Test("thousands of random edits of real lines: the fast path never reads differently from the general reader")
    func randomEdits() {
        var generator = SplitMix64(seed: 0x7363_616e)
        let alphabet = Array(#"{}[]",:\ 0a"#.utf8) + [0x01, 0x7F, 0xC3]
        for _ in 0..<4000 {
            var line = exampleLines[Int.random(in: 0..<exampleLines.count, using: &generator)]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0..<line.count, using: &generator)
                let byte = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: line[at] = byte
                case 1: line.insert(byte, at: at)
                case 2: line.append(byte)
                default: line.remove(at: at)
                }
            }
            let (fast, general) = bothReadings(line)
            #expect(fast == general, "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
