/// Keys the dashboard understands (the backend translates terminal input into these): the
/// arrows and the few named keys, and any other input as the character it typed (^C is \u{3}).
public enum Key: Equatable, Sendable {
    case left, right, up, down, tab, backTab, enter, escape
    case character(Character)
}
