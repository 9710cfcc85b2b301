using System.Runtime.InteropServices;

namespace MLNet.CSP.Backend;

/// <summary>
/// Keeps libtorch's large, short-lived buffers in glibc's heap. With glibc's defaults in a .NET process, activation and
/// gradient buffers of a few MiB are given back to the kernel when freed and page-faulted in again at the next batch:
/// measured at 32x32, batch 64, that was about 4,000 page faults and a third of the time per training step. Before libtorch
/// allocates anything, the library sets glibc's mmap threshold to its largest value (32 MiB) and stops heap trimming, as
/// a long-running training process wants; peak memory is unchanged (the same buffers are reused).
/// </summary>
/// <remarks>
/// Only on Linux with glibc. Left alone where the application chose itself: the environment variable
/// <c>MLNET_CSP_GLIBC_HEAP=system</c>, or glibc's own <c>GLIBC_TUNABLES</c> malloc settings or <c>MALLOC_*_</c> variables.
/// </remarks>
internal static class NativeHeap
{
    /// <summary>The environment variable that turns the tuning off (value <c>system</c>).</summary>
    public const string OptOutVariable = "MLNET_CSP_GLIBC_HEAP";

    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int LargestMmapThreshold = 32 << 20; // glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)

    private static readonly Lazy<string> Outcome = new(Apply);

    /// <summary>What was done, for <see cref="BackendStatus.Describe"/>: applied, or why not.</summary>
    public static string Description => Outcome.Value;

    /// <summary>Applies the settings once per process (idempotent).</summary>
    public static void Tune() => _ = Outcome.Value;

    /// <summary>Why the settings should be left alone in this environment, or null when they apply.</summary>
    internal static string? ReasonToSkip(Func<string, string?> environment, bool isLinux)
    {
        if (!isLinux) return "not Linux";
        if (string.Equals(environment(OptOutVariable), "system", StringComparison.OrdinalIgnoreCase)) return $"{OptOutVariable}=system";
        if (environment("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return "GLIBC_TUNABLES sets malloc";
        foreach (var name in new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_" })
            if (environment(name) is not null) return $"{name} is set";
        return null;
    }

    private static string Apply()
    {
        if (ReasonToSkip(Environment.GetEnvironmentVariable, OperatingSystem.IsLinux()) is { } reason) return $"glibc heap left as is ({reason})";
        try
        {
            bool mmap = mallopt(MallocMmapThreshold, LargestMmapThreshold) == 1;
            bool trim = mallopt(MallocTrimThreshold, int.MaxValue) == 1;
            return mmap && trim ? "glibc heap kept for reuse (mmap threshold 32 MiB, no trimming)"
                : $"glibc heap partly tuned (mmap threshold {(mmap ? "set" : "refused")}, trimming {(trim ? "off" : "refused")})";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "glibc heap left as is (no glibc mallopt: another C library)";
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
