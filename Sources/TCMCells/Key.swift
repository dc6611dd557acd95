/// Keys the dashboard understands (the backend translates terminal input into these).
public enum Key: Equatable, Sendable {
    case left, right, up, down, tab, backTab, enter, escape
    case character(Character)
}
