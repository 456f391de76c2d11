import Testing
import TroupeBackend

@Suite struct ReplyTests {
    @Test func busyRoundsRetryAfterUpToWholeMilliseconds() {
        #expect(ErrorReply.busy("rate limited", retryAfter: .microseconds(1_500)).text == "BUSY rate limited, retry after 2 ms")
        #expect(ErrorReply.busy("rate limited", retryAfter: .zero).text == "BUSY rate limited, retry after 1 ms")
        #expect(ErrorReply.busy("too many connections").text == "BUSY too many connections")
    }

    @Test func pushElementsFollowTheProtocolOrder() {
        let push = Push.message(room: "lobby", id: 7, user: "alice", text: Array("hi".utf8), at: 1_000)
        #expect(push.elements == [.bulk("message"), .bulk("lobby"), .integer(7), .bulk("alice"), .bulk("hi"), .integer(1_000)])
        #expect(Push.voting(endsAt: 5, candidates: ["a", "b"]).elements == [.bulk("voting"), .integer(5), .bulk("a"), .bulk("b")])
    }
}
