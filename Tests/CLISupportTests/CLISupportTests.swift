import Foundation
import Testing
@testable import CLISupport

@Suite struct CLISupportTests {
    @Test func progressLineShowsCountRateAndETA() {
        let line = ProgressBar.render(label: "train", completed: 25, total: 100, unit: "step", elapsed: 50,
                                      countedSinceStart: 25, fields: [("loss", "1.234")], width: 8)
        #expect(line == "train [==>     ] 25/100  25% 2.00 s/step elapsed 0:50 ETA 2:30 loss 1.234")
        let fast = ProgressBar.render(label: "eval", completed: 10, total: 10, unit: "q", elapsed: 2, countedSinceStart: 10, width: 4)
        #expect(fast == "eval [====] 10/10 100% 5.00 q/s elapsed 0:02 ETA 0:00")
        #expect(ProgressBar.clock(3725) == "1:02:05")
    }

    @Test func plotContainsEverySeries() {
        let plot = LinePlot(title: "loss <train>", xLabel: "step", yLabel: "loss",
                            series: [.init(name: "milora", points: [(0, 2.0), (1, 1.5), (2, 1.0)]),
                                     .init(name: "lora", points: [(0, 2.0), (1, .nan), (2, 1.2)])])
        let svg = plot.svg()
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("loss &lt;train&gt;") && !svg.contains("nan"))
    }

    @Test func runRecordHoldsTheConfigurationAndCommandLine() throws {
        struct Config: Encodable { var rank = 128; var init_method = "milora" }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)").path
        try RunRecord.write(Config(), to: folder)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run_config.json"))) as? [String: Any]
        #expect((object?["configuration"] as? [String: Any])?["rank"] as? Int == 128)
        #expect((object?["command_line"] as? [String])?.isEmpty == false)
    }
}
