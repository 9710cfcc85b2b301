namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>Samples the process's working set while a trial runs and keeps the largest value.</summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer timer;
    private long peak = Environment.WorkingSet;

    public MemorySampler() => timer = new Timer(_ => Sample(), null, 0, 200);

    public long Peak
    {
        get
        {
            Sample();
            return Interlocked.Read(ref peak);
        }
    }

    private void Sample()
    {
        long now = Environment.WorkingSet, seen;
        while (now > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
    }

    public void Dispose() => timer.Dispose();
}
