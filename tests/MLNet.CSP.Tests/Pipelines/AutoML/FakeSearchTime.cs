using Microsoft.Extensions.Time.Testing;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>
/// Time as an input: a clock that stands still until the search reads it, then moves on by a fixed step. The trainer reads
/// it once per training step and the search at each decision, so a search's every time-based choice (what fits, when a trial
/// is stopped, how a schedule is stretched) is the same on a fast or a slow machine.
/// </summary>
internal static class FakeSearchTime
{
    /// <summary>Each read advances the clock by this much.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    public static FakeTimeProvider Create() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = Step };
}
