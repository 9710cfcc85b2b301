namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>Time since a moment, on a <see cref="TimeProvider"/> (the search's clock).</summary>
internal readonly struct SearchTimer(TimeProvider time, long start)
{
    public TimeSpan Elapsed => time.GetElapsedTime(start);
}
