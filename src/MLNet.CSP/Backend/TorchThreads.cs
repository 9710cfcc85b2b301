namespace MLNet.CSP.Backend;

/// <summary>
/// libtorch's intra-op thread count for the duration of a scope. The setting is process-wide, so each component sets its own
/// count only while it computes (a fit, a batch) and restores the previous one afterwards, instead of changing it for good.
/// </summary>
internal static class TorchThreads
{
    /// <summary>Uses <paramref name="threads"/> until the returned scope is disposed; null leaves the count alone.</summary>
    public static IDisposable Use(int? threads)
    {
        if (threads is not int wanted) return Scope.None;
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1, nameof(threads));
        int previous = torch.get_num_threads();
        if (previous == wanted) return Scope.None;
        torch.set_num_threads(wanted);
        return new Scope(previous);
    }

    private sealed class Scope(int previous) : IDisposable
    {
        public static readonly IDisposable None = new Scope(0);

        private int restore = previous;

        public void Dispose()
        {
            int count = Interlocked.Exchange(ref restore, 0);
            if (count > 0) torch.set_num_threads(count);
        }
    }
}
