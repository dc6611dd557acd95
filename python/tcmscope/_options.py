"""Keyword options with the CLI's names: far_range=(1e-1, 1e-2) is --far-range 0.1:0.01."""

# The analysis options analyze and compare share (the CLI checks their ranges).
ANALYSIS = {
    "far_range",
    "range",
    "points",
    "utility",
    "beta",
    "epsilon",
    "ranking",
    "threshold",
    "bootstrap",
    "seed",
    "ci_level",
    "threads",
    "drop_zero_vectors",
}
ANALYZE = ANALYSIS | {"recall_k", "retrieval", "fail_above_opis", "fail_above_epsilon_opis"}
COMPARE = ANALYSIS | {"far", "significance", "fail_if_worse"}


def flags(options, allowed, command):
    """The command-line flags for `options`; unknown names raise TypeError before anything runs."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{command}() got unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    arguments = []
    for name, value in options.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if name == "retrieval":
            if not value:
                arguments.append("--no-retrieval")
        elif isinstance(value, bool):
            if value:
                arguments.append(flag)
        elif name in ("far_range", "range"):
            low, high = value
            arguments += [flag, f"{_number(low)}:{_number(high)}"]
        elif name == "recall_k":
            for k in [value] if isinstance(value, int) else value:
                arguments += [flag, str(int(k))]
        else:
            arguments += [flag, _number(value) if isinstance(value, float) else str(value)]
    return arguments


def _number(value):
    # repr keeps every digit a float has, so the CLI sees the value Python holds.
    return repr(float(value))
