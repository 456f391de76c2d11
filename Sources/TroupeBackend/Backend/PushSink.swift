public import Troupe

/// Where the backend offers a connection's pushes: the front's bounded outbound buffer.
/// `offer` never blocks; it returns false when the buffer is full, and the push is then
/// dropped (the sink counts it). The backend never waits on a slow connection: the event
/// bus actor offers each push straight into the sinks of its topic.
public protocol PushSink: EventSink where Event == Push {}
