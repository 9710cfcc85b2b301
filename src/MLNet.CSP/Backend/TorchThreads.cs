namespace MLNet.CSP.Backend;

/// <summary>
/// libtorch's intra-op thread count while a component computes. libtorch keeps a count per thread (OpenMP's) and a process
/// default that threads take when they first compute, and setting it on one thread changes both; so components take turns by
/// count: any number of scopes asking for the same count run together, a scope asking for another count waits until they are
/// done. Each thread computes with the scope's count and gets its own count back when its scope ends; when the last scope
/// ends, the process default is what it was before the first began (read and restored on a short-lived thread, only when a
/// scope had to change a count). So components scoring on different threads with different counts each compute with their
/// own count (the numbers they give alone) and leave no thread and no later thread changed. A scope opened inside another on
/// the same thread (a component called while another computes) runs with the outer count instead of waiting for itself.
/// </summary>
internal static class TorchThreads
{
    private static readonly object Gate = new();
    private static int holders;
    private static int current;
    private static int? processDefault;

    [ThreadStatic]
    private static int heldHere;

    [ThreadStatic]
    private static int threadBefore;

    [ThreadStatic]
    private static bool changedHere;

    /// <summary>Scopes open now in the process (for tests).</summary>
    internal static int OpenScopes
    {
        get
        {
            lock (Gate) return holders;
        }
    }

    /// <summary>Uses <paramref name="threads"/> until the returned scope is disposed; null leaves the count alone.</summary>
    public static IDisposable Use(int? threads)
    {
        if (threads is not int wanted) return Scope.None;
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1, nameof(threads));
        // Often a component's first libtorch call: a libtorch that cannot load is reported with the loader's reason here,
        // not with the error of the first TorchSharp call that happens to touch it.
        TorchNative.EnsureLoaded();
        lock (Gate)
        {
            if (heldHere == 0)
                while (holders > 0 && current != wanted) Monitor.Wait(Gate);
            if (holders == 0) current = wanted;
            holders++;
            if (heldHere++ == 0)
            {
                threadBefore = torch.get_num_threads();
                changedHere = false;
            }
            if (torch.get_num_threads() != current)
            {
                processDefault ??= OnNewThread(torch.get_num_threads); // before the first change: what new threads get
                torch.set_num_threads(current);
                changedHere = true;
            }
            return new Scope();
        }
    }

    /// <summary>
    /// Gives the calling thread its own count for good (a thread that computes for a long time, e.g. a scoring queue's), leaving
    /// the process default that new threads take as it was. Scopes asking for this count then change nothing on this thread.
    /// </summary>
    public static void SetForThisThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchNative.EnsureLoaded();
        lock (Gate)
        {
            if (heldHere > 0) throw new InvalidOperationException("This thread computes in a thread-count scope; set its own count outside it.");
            while (holders > 0) Monitor.Wait(Gate); // while scopes run, new threads take their count, not the default
            int before = OnNewThread(torch.get_num_threads);
            _ = torch.get_num_threads(); // this thread's first call takes the default; the count set next is then its own
            torch.set_num_threads(threads);
            if (before != threads)
                OnNewThread(() =>
                {
                    torch.set_num_threads(before);
                    return 0;
                });
        }
    }

    private static void Release()
    {
        lock (Gate)
        {
            holders--;
            if (--heldHere > 0) return;
            if (changedHere && torch.get_num_threads() != threadBefore) torch.set_num_threads(threadBefore);
            if (holders > 0) return;
            if (processDefault is int restore)
            {
                OnNewThread(() =>
                {
                    torch.set_num_threads(restore);
                    return 0;
                });
                processDefault = null;
            }
            Monitor.PulseAll(Gate);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a new thread, where libtorch's count is the process default.</summary>
    private static int OnNewThread(Func<int> action)
    {
        int result = 0;
        var thread = new Thread(() => result = action()) { IsBackground = true, Name = "csp-torch-threads" };
        thread.Start();
        thread.Join();
        return result;
    }

    private sealed class Scope : IDisposable
    {
        public static readonly IDisposable None = new NoScope();

        private int open = 1;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref open, 0) == 1) Release();
        }
    }

    private sealed class NoScope : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
