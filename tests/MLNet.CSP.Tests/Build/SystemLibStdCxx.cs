using System.Text;

namespace MLNet.CSP.Tests.Build;

/// <summary>The system's libstdc++ and the symbol versions it provides (what the Debian 12 fix depends on).</summary>
internal static class SystemLibStdCxx
{
    /// <summary>The first libstdc++.so.6 found in the usual library folders, or null.</summary>
    public static string? Path { get; } =
        new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.FirstOrDefault(File.Exists);

    /// <summary>Whether it defines <paramref name="version"/> (e.g. GLIBCXX_3.4.32); false when there is none.</summary>
    public static bool Provides(string version) =>
        Path is not null && Encoding.ASCII.GetString(File.ReadAllBytes(Path)).Contains(version + "\0", StringComparison.Ordinal);
}
