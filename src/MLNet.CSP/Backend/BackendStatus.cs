namespace MLNet.CSP.Backend;

/// <summary>What <see cref="TorchBackend"/> found on this machine and chose.</summary>
/// <param name="Topology">The CPU cache topology as oneDNN sees it.</param>
/// <param name="Path">How CPU float32 convolutions run.</param>
/// <param name="Threads">The libtorch thread count the check ran with (the verdict is per thread count).</param>
/// <param name="Checks">The self-check of the chosen path (or of the last tried, when none passed).</param>
/// <param name="Rejected">Paths tried first and rejected, with their worst failing case.</param>
/// <param name="Elapsed">Time the whole check took.</param>
public sealed record BackendStatus(CpuCacheTopology Topology, ConvolutionPath Path, int Threads, IReadOnlyList<SelfCheckResult> Checks,
    IReadOnlyList<string> Rejected, TimeSpan Elapsed)
{
    /// <summary>Every self-check case of the chosen path was right.</summary>
    public bool IsReliable => Checks.Count > 0 && Checks.All(c => c.Passed);

    /// <summary>The largest error of the chosen path's self-check.</summary>
    public double WorstError => Checks.Count == 0 ? double.NaN : Checks.Max(c => c.WorstError);

    /// <summary>One paragraph for logs and exception texts.</summary>
    public string Describe()
    {
        string topology = Topology.IsHidden ? $"CPU cache topology hidden ({Topology.Description})" : $"CPU caches {Topology.Description}";
        string verdict = IsReliable
            ? $"float32 convolutions on the {Path} path, self-check right ({Checks.Count} cases forward and backward, worst relative error {WorstError:E1} against float64"
            : $"float32 convolutions are WRONG on this machine even on the {Path} path ({string.Join("; ", Checks.Where(c => !c.Passed))}";
        string rejected = Rejected.Count == 0 ? "" : $" Rejected: {string.Join("; ", Rejected)}.";
        return $"libtorch backend: {topology}; {verdict}, {Threads} thread(s), {Elapsed.TotalMilliseconds:F0} ms); {NativeHeap.Description}.{rejected}";
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}
