using System.Runtime.InteropServices;

namespace MLNet.CSP.Backend;

/// <summary>
/// Loads libtorch once and, when that fails, replaces TorchSharp's generic error ("doesn't contain a reference to
/// libtorch-cpu-linux-x64") with the system loader's own message and what to do about it.
/// </summary>
internal static class TorchNative
{
    private static readonly Lazy<string?> Failure = new(Load);

    /// <summary>Throws an <see cref="InvalidOperationException"/> that explains why libtorch cannot be used, if it cannot.</summary>
    public static void EnsureLoaded()
    {
        if (Failure.Value is string message) throw new InvalidOperationException(message);
    }

    private static string? Load()
    {
        NativeHeap.Tune();
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e)
        {
            return Explain(e, LibTorchSharpCandidates().Distinct().Where(File.Exists).ToList());
        }
    }

    /// <summary>The message for a failed load: the loader's own words for each candidate library, then the fix.</summary>
    internal static string Explain(Exception torchSharpError, IReadOnlyList<string> candidates)
    {
        var loader = candidates.Select(path =>
        {
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(path));
                return null;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                return e.Message;
            }
        }).Where(m => m is not null).ToList();
        string found = candidates.Count == 0
            ? "No libLibTorchSharp native library was found next to the application. Reference a native libtorch package in the " +
              "application: libtorch-cpu-linux-x64 2.10.0 (Linux), TorchSharp-cpu 0.107.0 (any OS) or TorchSharp-cuda-linux 0.107.0 (NVIDIA)."
            : loader.Count == 0 ? $"{string.Join(", ", candidates)} loads, but TorchSharp still failed: {Innermost(torchSharpError).Message}"
            : $"The system loader says: {string.Join(" | ", loader)}";
        string fix = loader.Any(m => m!.Contains("GLIBCXX_", StringComparison.Ordinal))
            ? " This system's libstdc++ is older than the one TorchSharp was built with (Debian 12 and others with GCC 12). The " +
              "MLNet.CSP package marks that unused requirement weak in the build and publish output (its buildTransitive target " +
              "CspPatchLibTorchSharpAfterBuild): check that it ran and that CspSkipLibTorchSharpPatch is not set, or install GCC 13's libstdc++."
            : "";
        return $"libtorch could not be loaded, so MLNet.CSP cannot run. {found}{fix}";
    }

    private static IEnumerable<string> LibTorchSharpCandidates()
    {
        string file = OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        string baseDirectory = AppContext.BaseDirectory;
        yield return Path.Combine(baseDirectory, file);
        yield return Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", file);
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        yield return Path.Combine(baseDirectory, "runtimes", $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}", "native", file);
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
