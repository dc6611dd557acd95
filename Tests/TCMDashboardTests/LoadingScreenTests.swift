import Testing
@testable import TCMDashboard

@Suite struct LoadingScreenTests {
    /// The pair pass done, retrieval 37 % through.
    func sopState() -> LoadingState {
        var s = LoadingState(file: "sop_e.npy", rows: 60_502, dimension: 512, classes: 9_331, fileBytes: 123_908_224)
        s.apply(.init(stage: .pairPass, fraction: 1))
        s.apply(.init(stage: .retrieval, fraction: 0.37))
        return s
    }

    @Test func fullScreenShowsFileSizeEveryStageAndTheCurrentOne() {
        var b = CellBuffer(width: 60, height: 12)
        LoadingScreen.render(sopState(), into: &b)
        let golden = """
                                                                        
                                      TCMScope                          
                                 loading sop_e.npy                      
                       60,502 × 512 · 9,331 classes · 123 MB            
                                                                        
              pair pass  ████████████████████████████████████████ 100%  
              retrieval  ██████████████░░░░░░░░░░░░░░░░░░░░░░░░░░  37%  
              PCA        ░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░   0%  
                                                                        
                  nearest neighbours: Recall@1, R-Precision, MAP@R      
                                      q quits                           
                                                                        
            """
        #expect(b.text == golden, "\n\(b.text)")
        // The current stage's name is bold; stages still to come are dim.
        #expect(b[2, 6].style.bold && !b[2, 5].style.bold && b[2, 7].style.dim)
    }

    @Test func aTinyTerminalStillShowsStagePercentageAndBar() {
        var b = CellBuffer(width: 20, height: 4)
        LoadingScreen.render(sopState(), into: &b)
        let golden = """
            loading sop_e.npy   
            retrieval  37%      
            ███████░░░░░░░░░░░░░
            q quits             
            """
        #expect(b.text == golden, "\n\(b.text)")
        // Smaller still: clipped, never out of bounds.
        for (w, h) in [(1, 1), (5, 2), (0, 0), (43, 30), (200, 9)] {
            var small = CellBuffer(width: w, height: h)
            LoadingScreen.render(sopState(), into: &small)
            #expect(small.width == w && small.height == h)
        }
    }

    @Test func progressUpdatesAreAppliedOnlyForward() {
        var s = LoadingState(file: "e.npy", rows: 10, dimension: 2, classes: 2)
        #expect(s.progress == .init(stage: .pairPass, fraction: 0))
        s.apply(.init(stage: .pairPass, fraction: 0.5))
        #expect(s.fraction(of: .pairPass) == 0.5 && s.fraction(of: .retrieval) == 0)
        s.apply(.init(stage: .pairPass, fraction: 0.4))  // a late report from another worker
        #expect(s.fraction(of: .pairPass) == 0.5)
        s.apply(.init(stage: .pca, fraction: 0.25))  // a stage can be skipped between two polls
        #expect(
            s.progress.stage == .pca && s.fraction(of: .pairPass) == 1 && s.fraction(of: .retrieval) == 1
                && s.fraction(of: .pca) == 0.25)
        s.apply(.init(stage: .retrieval, fraction: 0.9))
        #expect(s.progress == .init(stage: .pca, fraction: 0.25))
        s.apply(.init(stage: .pca, fraction: 7))
        #expect(s.fraction(of: .pca) == 1)
        s.apply(.init(stage: .pca, fraction: .nan))
        #expect(s.fraction(of: .pca) == 1)
        // The percentage on screen follows the state.
        var b = CellBuffer(width: 80, height: 24)
        LoadingScreen.render(s, into: &b)
        #expect(b.text.contains("PCA        ████████████████████████████████████████ 100%"))
        #expect(b.text.contains("10 × 2 · 2 classes") && !b.text.contains("kB"))
    }
}
