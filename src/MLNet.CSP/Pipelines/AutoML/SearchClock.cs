namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The search's budget: time left, stage deadlines, timers for trials, and per-trial tokens that fire at the deadline or on the
/// caller's cancel. Time comes from a <see cref="TimeProvider"/> (the system's; in tests a fake one that advances as the search
/// reads it, so every decision that depends on time is repeatable).
/// </summary>
internal sealed class SearchClock(TimeSpan budget, CancellationToken caller, TimeProvider time)
{
    /// <summary>Kept back at the end for assembling the result and writing the history.</summary>
    public static readonly TimeSpan Reserve = TimeSpan.FromSeconds(1);

    private readonly long start = time.GetTimestamp();

    private double stageEnd = double.PositiveInfinity;

    public CancellationToken Caller => caller;

    /// <summary>Where the search's time comes from (handed to the trainers its trials run).</summary>
    public TimeProvider Time => time;

    public double ElapsedSeconds => time.GetElapsedTime(start).TotalSeconds;

    public double BudgetSeconds => budget.TotalSeconds;

    /// <summary>Seconds until the deadline (less the reserve), or until the current stage's end when <see cref="EndStageAt"/> set one.</summary>
    public double SecondsLeft
    {
        get
        {
            double elapsed = ElapsedSeconds;
            return Math.Min((budget - Reserve).TotalSeconds - elapsed, stageEnd - elapsed);
        }
    }

    /// <summary>Ends the current stage <paramref name="endSeconds"/> after the start (infinity: at the deadline); trial tokens follow.</summary>
    public void EndStageAt(double endSeconds) => stageEnd = endSeconds;

    /// <summary>Seconds until <paramref name="endSeconds"/> after the start, or the deadline if that is sooner.</summary>
    public double SecondsLeftUntil(double endSeconds)
    {
        double left = SecondsLeft;
        return Math.Min(left, endSeconds - ElapsedSeconds);
    }

    public bool Expired => SecondsLeft <= 0 || caller.IsCancellationRequested;

    /// <summary>A timer started now on the search's time.</summary>
    public SearchTimer StartTimer() => new(time, time.GetTimestamp());

    /// <summary>A token for one trial: cancelled by the caller or when <paramref name="endSeconds"/> (default: the deadline) passes.</summary>
    public CancellationTokenSource TrialToken(double? endSeconds = null)
    {
        double left = endSeconds is double end ? SecondsLeftUntil(end) : SecondsLeft;
        return new TrialTokenSource(TimeSpan.FromSeconds(Math.Max(0, left)), time, caller);
    }

    /// <summary>Cancelled after a delay on the search's time, or when the caller cancels.</summary>
    private sealed class TrialTokenSource : CancellationTokenSource
    {
        private readonly CancellationTokenRegistration link;

        public TrialTokenSource(TimeSpan delay, TimeProvider time, CancellationToken caller) : base(delay, time) =>
            link = caller.UnsafeRegister(source => ((CancellationTokenSource)source!).Cancel(), this);

        protected override void Dispose(bool disposing)
        {
            if (disposing) link.Dispose();
            base.Dispose(disposing);
        }
    }
}
