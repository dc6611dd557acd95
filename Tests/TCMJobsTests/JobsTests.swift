import Dispatch
import Foundation
import Synchronization
import Testing
import TCMJobs

@Suite struct MailboxAndWakeupTests {
    @Test func mailboxKeepsTheNewestValueAndTakeEmptiesIt() {
        let box = Mailbox<Int>()
        #expect(box.take() == nil && box.peek() == nil)
        for v in 1 ... 5 { box.put(v) }
        #expect(box.peek() == 5)
        #expect(box.take() == 5)
        #expect(box.take() == nil)
    }

    @Test func putWakesAWaiterOnAnotherThread() {
        let wake = Wakeup()
        let box = Mailbox<String>(wake: wake)
        #expect(!wake.consume(), "nothing signalled yet")
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { box.put("done") }
        #expect(wake.wait(milliseconds: 20_000))
        let waitedMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        #expect(box.take() == "done")
        #expect(waitedMs < 10_000, "woken by the put, not by the timeout: \(waitedMs) ms")
        #expect(!wake.consume(), "one put, one wake")
    }

    @Test func signalsCoalesceAndATimeoutReportsNoWake() {
        let wake = Wakeup()
        for _ in 0 ..< 1000 { wake.signal() }  // far more than a pipe holds unread if each wrote
        #expect(wake.consume())
        #expect(!wake.consume())
        #expect(!wake.wait(milliseconds: 10))
    }

    @Test func concurrentSignalsAreNeverLost() {
        // Many threads signal while one consumes: after they all stop, one more consume sees
        // any signal the consumer had not yet seen, and the pipe is empty after it.
        let wake = Wakeup()
        let signalled = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0 ..< 2000 {
                wake.signal()
                signalled.add(1, ordering: .relaxed)
            }
        }
        _ = wake.consume()
        let total = signalled.load(ordering: .relaxed)
        #expect(total == 8000)
        #expect(!wake.wait(milliseconds: 1), "drained: no spurious wake left behind")
        wake.signal()
        #expect(wake.wait(milliseconds: 1000))
    }

    @Test func jobControlPausesResumesAndCancelsForGood() {
        let control = JobControl()
        #expect(!control.isPaused && !control.isCancelled)
        control.pause()
        let checks = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        DispatchQueue.global().async {
            control.waitWhilePaused(pollMicroseconds: 1000) { checks.add(1, ordering: .relaxed) }
            done.store(true, ordering: .releasing)
        }
        // Wait until the job is seen waiting (a few checks), however late its thread started.
        var spins = 0
        while checks.load(ordering: .relaxed) < 3 && spins < 30_000 {
            usleep(1000)
            spins += 1
        }
        let doneWhilePaused = done.load(ordering: .acquiring), checkedWhilePaused = checks.load(ordering: .relaxed)
        #expect(checkedWhilePaused >= 3 && !doneWhilePaused, "still waiting while paused")
        control.resume()
        spins = 0
        while !done.load(ordering: .acquiring) && spins < 30_000 {
            usleep(1000)
            spins += 1
        }
        let doneAfterResume = done.load(ordering: .acquiring)
        #expect(doneAfterResume, "resume lets the job go on")
        control.cancel()
        control.resume()
        #expect(control.isCancelled, "resume does not undo a cancel")
        control.pause()
        control.waitWhilePaused()  // returns at once: cancelled
    }
}
