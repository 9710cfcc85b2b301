namespace MLNet.CSP.Backend;

/// <summary>
/// Makes sure libtorch computes right answers on this machine before the first network runs. Once per process and thread
/// count it reads the CPU cache topology that oneDNN relies on and runs <see cref="NumericsSelfCheck"/>; it then keeps the
/// fastest <see cref="ConvolutionPath"/> whose self-check is right. Where the topology is hidden, oneDNN's 1x1 kernels are
/// never entered (they can crash the process there). If no path is right, every network call throws with the findings.
/// </summary>
public static class TorchBackend
{
    private static readonly object Gate = new();
    private static volatile BackendStatus? status; // the verdict for the thread count seen last
    private static readonly Dictionary<int, BackendStatus> ByThreads = [];
    private static ConvolutionPath? forced;
    private static bool oneDnnDisabled;

    /// <summary>Injected CPUID reader for tests (null: the real instruction).</summary>
    internal static CpuCacheTopology.CpuIdReader? TopologyReader { get; set; }

    /// <summary>Injected self-check for tests (null: <see cref="NumericsSelfCheck.Run(ConvolutionPath, bool)"/>).</summary>
    internal static Func<ConvolutionPath, bool, IReadOnlyList<SelfCheckResult>>? SelfCheck { get; set; }

    /// <summary>The verdict for the current libtorch thread count (runs the check on first use).</summary>
    public static BackendStatus Status => Ensure();

    /// <summary>
    /// On Linux with glibc: when libtorch is first used, keep its freed buffers in the process's heap (glibc's mmap threshold set
    /// to 32 MiB, heap trimming off) instead of returning them to the kernel and faulting them in again every batch; training at
    /// small images ran 1.5-1.8x faster with it. The heap then stays at its peak while the process runs (a finished fit hands
    /// its free pages back). Default true; set false before the first MLNet.CSP call to keep glibc's defaults, as the environment
    /// variable <c>MLNET_CSP_GLIBC_HEAP=system</c> does. Applications that set glibc's malloc variables or preload another
    /// allocator are left alone. <see cref="Status"/> says what applies.
    /// </summary>
    public static bool TuneGlibcHeap { get; set; } = true;

    /// <summary>The convolution path for the current thread count; throws when no path computes right answers.</summary>
    internal static ConvolutionPath CurrentPath()
    {
        if (forced is ConvolutionPath f) return f;
        var s = Ensure();
        if (!s.IsReliable)
            throw new InvalidOperationException("libtorch computes wrong float32 convolutions on this machine, so MLNet.CSP refuses to " +
                "return results. " + s.Describe());
        return s.Path;
    }

    /// <summary>Runs every convolution on <paramref name="path"/> until the returned scope ends (tests and benchmarks).</summary>
    internal static IDisposable UsePath(ConvolutionPath path)
    {
        lock (Gate)
        {
            var previous = forced;
            forced = path;
            SetOneDnn(path != ConvolutionPath.NoOneDnn);
            return new ScopeAction(() =>
            {
                lock (Gate)
                {
                    forced = previous;
                    SetOneDnn((previous ?? status?.Path) != ConvolutionPath.NoOneDnn);
                }
            });
        }
    }

    /// <summary>Forgets the verdict so the next use checks again (tests, with <see cref="TopologyReader"/>).</summary>
    internal static void Reset()
    {
        lock (Gate)
        {
            status = null;
            ByThreads.Clear();
            SetOneDnn(true);
        }
    }

    private static BackendStatus Ensure()
    {
        TorchNative.EnsureLoaded();
        var s = status;
        int threads = torch.get_num_threads();
        if (s is not null && s.Threads == threads) return s;
        lock (Gate)
        {
            if (!ByThreads.TryGetValue(threads, out s))
            {
                s = Check(threads);
                ByThreads[threads] = s;
            }
            SetOneDnn((forced ?? s.Path) != ConvolutionPath.NoOneDnn);
            status = s;
            return s;
        }
    }

    private static BackendStatus Check(int threads)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var topology = TopologyReader is { } reader ? CpuCacheTopology.Read(reader) : CpuCacheTopology.Read();
        var candidates = new List<ConvolutionPath>();
        if (!topology.IsHidden) candidates.Add(ConvolutionPath.OneDnn);
        candidates.Add(ConvolutionPath.ChannelsLastGemm);
        if (OneDnnSwitch.IsAvailable) candidates.Add(ConvolutionPath.NoOneDnn);

        var rejected = new List<string>();
        IReadOnlyList<SelfCheckResult> checks = [];
        foreach (var path in candidates)
        {
            SetOneDnn(path != ConvolutionPath.NoOneDnn);
            checks = (SelfCheck ?? NumericsSelfCheck.Run)(path, topology.IsHidden);
            if (checks.All(c => c.Passed)) return new BackendStatus(topology, path, threads, checks, rejected, watch.Elapsed);
            var worst = checks.OrderByDescending(c => double.IsNaN(c.WorstError) ? double.MaxValue : c.WorstError).First();
            rejected.Add($"{path} ({checks.Count(c => !c.Passed)} of {checks.Count} cases wrong, worst {worst})");
        }
        return new BackendStatus(topology, candidates[^1], threads, checks, rejected.Take(rejected.Count - 1).ToList(), watch.Elapsed);
    }

    private static void SetOneDnn(bool enabled)
    {
        if (enabled == !oneDnnDisabled || !OneDnnSwitch.IsAvailable) return;
        OneDnnSwitch.Set(enabled);
        oneDnnDisabled = !enabled;
    }
}
