using System.Diagnostics;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>The search's budget: time left, stage deadlines, and per-trial tokens that fire at the deadline or on the caller's cancel.</summary>
internal sealed class SearchClock(TimeSpan budget, CancellationToken caller)
{
    /// <summary>Kept back at the end for assembling the result and writing the history.</summary>
    public static readonly TimeSpan Reserve = TimeSpan.FromSeconds(1);

    private readonly Stopwatch watch = Stopwatch.StartNew();

    private double stageEnd = double.PositiveInfinity;

    public CancellationToken Caller => caller;

    public double ElapsedSeconds => watch.Elapsed.TotalSeconds;

    public double BudgetSeconds => budget.TotalSeconds;

    /// <summary>Seconds until the deadline (less the reserve), or until the current stage's end when <see cref="EndStageAt"/> set one.</summary>
    public double SecondsLeft => Math.Min((budget - Reserve - watch.Elapsed).TotalSeconds, stageEnd - ElapsedSeconds);

    /// <summary>Ends the current stage <paramref name="endSeconds"/> after the start (infinity: at the deadline); trial tokens follow.</summary>
    public void EndStageAt(double endSeconds) => stageEnd = endSeconds;

    /// <summary>Seconds until <paramref name="endSeconds"/> after the start, or the deadline if that is sooner.</summary>
    public double SecondsLeftUntil(double endSeconds) => Math.Min(SecondsLeft, endSeconds - ElapsedSeconds);

    public bool Expired => SecondsLeft <= 0 || caller.IsCancellationRequested;

    /// <summary>A token for one trial: cancelled by the caller or when <paramref name="endSeconds"/> (default: the deadline) passes.</summary>
    public CancellationTokenSource TrialToken(double? endSeconds = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(caller);
        double left = endSeconds is double end ? SecondsLeftUntil(end) : SecondsLeft;
        source.CancelAfter(TimeSpan.FromSeconds(Math.Max(0, left)));
        return source;
    }
}
