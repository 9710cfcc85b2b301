using System.Runtime.InteropServices;

namespace MLNet.CSP.Backend;

/// <summary>
/// Keeps libtorch's large, short-lived buffers in glibc's heap. With glibc's defaults in a .NET process, activation and
/// gradient buffers of a few MiB are given back to the kernel when freed and page-faulted in again at the next batch:
/// measured at 32x32, batch 64, about 3,600 page faults a batch and a third of the time per training step. When libtorch is
/// first used, the library sets glibc's mmap threshold to its largest value (32 MiB) and stops heap trimming; the heap then
/// stays at its peak while the process runs, except that a finished fit hands its free pages back (<see cref="Release"/>).
/// </summary>
/// <remarks>
/// Only on Linux with glibc's allocator, and only when <see cref="TorchBackend.TuneGlibcHeap"/> is true. Left alone where the
/// application chose: <c>MLNET_CSP_GLIBC_HEAP</c> set to <c>system</c>, <c>off</c>, <c>false</c> or <c>0</c>; <c>GLIBC_TUNABLES</c>
/// with a <c>glibc.malloc.</c> setting; any of <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_TOP_PAD_</c>,
/// <c>MALLOC_MMAP_MAX_</c>, <c>MALLOC_ARENA_MAX</c>; or another allocator in <c>LD_PRELOAD</c> (jemalloc, tcmalloc, mimalloc).
/// </remarks>
internal static class NativeHeap
{
    /// <summary>The environment variable that turns the tuning off.</summary>
    public const string OptOutVariable = "MLNET_CSP_GLIBC_HEAP";

    /// <summary>glibc's variables that mean the application set the allocator up itself.</summary>
    internal static readonly string[] GlibcVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "MALLOC_ARENA_MAX"];

    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int LargestMmapThreshold = 32 << 20; // glibc's maximum on 64-bit (HEAP_MAX_SIZE / 2)

    private static readonly Lazy<(bool Tuned, string Text)> Outcome = new(Apply);

    /// <summary>What was done, for <see cref="BackendStatus.Describe"/>: applied, or why not.</summary>
    public static string Description => Outcome.Value.Text;

    /// <summary>Applies the settings once per process (idempotent; never throws).</summary>
    public static void Tune() => _ = Outcome.Value;

    /// <summary>Hands the heap's free pages back to the kernel (after a fit) when the settings were applied; never throws.</summary>
    public static void Release()
    {
        if (!Outcome.IsValueCreated || !Outcome.Value.Tuned) return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    /// <summary>Why the settings should be left alone in this environment, or null when they apply (glibc's variables count when present, even empty).</summary>
    internal static string? ReasonToSkip(Func<string, string?> environment, bool isLinux, bool enabled = true)
    {
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;
        if (!isLinux) return "not Linux";
        if (!enabled) return "TorchBackend.TuneGlibcHeap is false";
        if (Get(OptOutVariable) is { } optOut && optOut.ToLowerInvariant() is "system" or "off" or "false" or "0") return $"{OptOutVariable}={optOut}";
        if (Get("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal)) return "GLIBC_TUNABLES sets malloc";
        foreach (var name in GlibcVariables)
            if (environment(name) is not null) return $"{name} is set";
        if (Get("LD_PRELOAD") is { } preload
            && new[] { "jemalloc", "tcmalloc", "mimalloc" }.FirstOrDefault(a => preload.Contains(a, StringComparison.OrdinalIgnoreCase)) is { } allocator)
            return $"{allocator} preloaded";
        return null;
    }

    private static (bool, string) Apply()
    {
        try
        {
            if (ReasonToSkip(Environment.GetEnvironmentVariable, OperatingSystem.IsLinux(), TorchBackend.TuneGlibcHeap) is { } reason)
                return (false, $"glibc heap left as is ({reason})");
            bool mmap = mallopt(MallocMmapThreshold, LargestMmapThreshold) == 1;
            bool trim = mallopt(MallocTrimThreshold, int.MaxValue) == 1;
            return mmap && trim ? (true, "glibc heap kept for reuse (mmap threshold 32 MiB, no trimming)")
                : (mmap || trim, $"glibc heap partly tuned (mmap threshold {(mmap ? "set" : "refused")}, trimming {(trim ? "off" : "refused")})");
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return (false, "glibc heap left as is (no glibc mallopt: another C library)");
        }
        catch (Exception e) // a tuning step must never keep libtorch from loading
        {
            return (false, $"glibc heap left as is ({e.GetType().Name}: {e.Message})");
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
