// The helpers every command uses (FlagBound, SampleData, ReportFormat, HeldOutSplit) live in
// TCMScopeSupport, shared with the dashboard app and the benchmarks; visible in every file here.
@_exported import TCMScopeSupport
